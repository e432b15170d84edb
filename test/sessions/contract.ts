// The behaviour every SessionRegistry promises, as one table run against each implementation
// (memory.test.ts, redis.test.ts). Time-dependent rows (expiry, touch) live in those files, because
// memory moves an injected clock while Redis expires keys itself.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SessionInputError, type SessionBinding, type SessionEndReason, type SessionRegistry } from '../../src/sessions/index.js';

export interface RegistryUnderTest {
  registry: SessionRegistry;
  close(): Promise<void>;
}

let counter = 0;

/** A valid binding; ids are unique per call unless given. */
export function binding(overrides: Partial<SessionBinding> = {}): SessionBinding {
  counter++;
  return {
    id: `sess-${counter}`,
    server: 'files',
    kind: 'streamable',
    pod: '10.0.0.1:8080',
    revision: '2025-11-25',
    createdAt: 1_700_000_000_000 + counter,
    lastSeenAt: 1_700_000_000_000 + counter,
    ...overrides,
  };
}

/** Every page of a listing, following nextCursor to the end. */
export async function listAll(registry: SessionRegistry, q: { server?: string; pod?: string; principal?: string; limit: number }): Promise<SessionBinding[]> {
  const all: SessionBinding[] = [];
  let cursor: string | undefined;
  do {
    const page = await registry.list({ ...q, ...(cursor ? { cursor } : {}) });
    assert.ok(page.items.length <= q.limit, 'a page never exceeds limit');
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

function ids(bs: SessionBinding[]): string[] {
  return bs.map((b) => `${b.server}/${b.id}`);
}

function sortedIds(bs: SessionBinding[]): string[] {
  return ids([...bs].sort((a, b) => (a.server === b.server ? (a.id < b.id ? -1 : 1) : a.server < b.server ? -1 : 1)));
}

export function registryContract(name: string, make: () => Promise<RegistryUnderTest>): void {
  describe(`${name}: session registry contract`, () => {
    let sut: RegistryUnderTest;
    let registry: SessionRegistry;
    beforeEach(async () => {
      sut = await make();
      registry = sut.registry;
    });
    afterEach(() => sut.close());

    it('returns what was put, every ownership field included', async () => {
      const full = binding({ kind: 'legacy-sse', principal: 'alice@example.com', affinityKey: 'k-7f3a', revision: '2024-11-05' });
      const bare = binding({ kind: 'task' });
      await registry.put(full);
      await registry.put(bare);
      assert.deepEqual(await registry.get(full.server, full.id), full);
      const got = await registry.get(bare.server, bare.id);
      assert.deepEqual(got, bare);
      assert.ok(got && !('principal' in got) && !('affinityKey' in got), 'absent optional fields stay absent');
    });

    it('keeps a copy: changing the object after put changes nothing stored', async () => {
      const b = binding();
      await registry.put(b);
      b.pod = '10.9.9.9:1';
      assert.equal((await registry.get(b.server, b.id))?.pod, '10.0.0.1:8080');
    });

    it('answers undefined for unknown ids and for the same id under another server', async () => {
      const b = binding();
      await registry.put(b);
      assert.equal(await registry.get('files', 'never-issued'), undefined);
      assert.equal(await registry.get('other', b.id), undefined);
    });

    it('delete returns the removed binding once, and reports it ended with its reason', async () => {
      const ended: [string, SessionEndReason][] = [];
      const off = registry.onEnded((b, reason) => ended.push([b.id, reason]));
      const a = binding();
      const b = binding();
      await registry.put(a);
      await registry.put(b);
      assert.deepEqual(await registry.delete(a.server, a.id), a);
      assert.equal(await registry.get(a.server, a.id), undefined);
      assert.equal(await registry.delete(a.server, a.id), undefined);
      assert.deepEqual(await registry.delete(b.server, b.id, 'upstream_lost'), b);
      off();
      await registry.put(a);
      await registry.delete(a.server, a.id);
      assert.deepEqual(ended, [
        [a.id, 'deleted'],
        [b.id, 'upstream_lost'],
      ]);
    });

    it('rejects malformed ids on put and treats them as unknown on get and delete', async () => {
      const bad = ['', 'has space', 'tab\there', 'nul\u0000', 'é-accent', 'del\u007f', 'x'.repeat(257)];
      for (const id of bad) {
        await assert.rejects(registry.put(binding({ id })), SessionInputError, JSON.stringify(id));
        assert.equal(await registry.get('files', id), undefined);
        assert.equal(await registry.delete('files', id), undefined);
      }
      const longest = binding({ id: `~!${'x'.repeat(250)}:{}]` });
      assert.equal(longest.id.length, 256);
      await registry.put(longest);
      assert.deepEqual(await registry.get('files', longest.id), longest);
    });

    it('rejects malformed servers, pods and kinds on put', async () => {
      await assert.rejects(registry.put(binding({ server: 'a:b' })), SessionInputError);
      await assert.rejects(registry.put(binding({ pod: '10.0.0.1 8080' })), SessionInputError);
      await assert.rejects(registry.put(binding({ kind: 'websocket' as SessionBinding['kind'] })), SessionInputError);
    });

    it('counts live sessions per pod exactly after puts, re-binds and deletes', async () => {
      const a = [binding({ pod: 'A:1' }), binding({ pod: 'A:1' }), binding({ pod: 'A:1' })];
      const b = [binding({ pod: 'B:1' }), binding({ pod: 'B:1' })];
      for (const x of [...a, ...b, binding({ server: 'other', pod: 'A:1' })]) await registry.put(x);
      assert.deepEqual(await registry.livePerPod('files'), new Map([['A:1', 3], ['B:1', 2]]));
      await registry.delete('files', a[0]!.id);
      await registry.put({ ...a[1]!, pod: 'B:1' });
      assert.deepEqual(await registry.livePerPod('files'), new Map([['A:1', 1], ['B:1', 3]]));
      for (const x of [...b, a[1]!]) await registry.delete('files', x.id);
      assert.deepEqual(await registry.livePerPod('files'), new Map([['A:1', 1]]));
      assert.deepEqual(await registry.livePerPod('other'), new Map([['A:1', 1]]));
      assert.deepEqual(await registry.livePerPod('nobody'), new Map());
    });

    it('lists every binding exactly once, grouped by server, in one order whatever the page size', async () => {
      const all: SessionBinding[] = [];
      for (let i = 0; i < 25; i++) {
        all.push(binding({ server: i % 3 === 0 ? 'alpha' : 'files', pod: `10.0.0.${i % 3}:80`, principal: i % 2 ? 'alice' : 'bob' }));
      }
      for (const b of all) await registry.put(b);
      const order = ids(await listAll(registry, { limit: 100 }));
      assert.deepEqual([...order].sort(), sortedIds(all).sort());
      assert.deepEqual(order.map((x) => x.split('/')[0]), sortedIds(all).map((x) => x.split('/')[0]), 'grouped by server, in server order');
      for (const limit of [1, 7, 25]) assert.deepEqual(ids(await listAll(registry, { limit })), order, `limit ${limit}`);
    });

    it('filters listings by server, pod and principal, alone and combined', async () => {
      const all: SessionBinding[] = [];
      for (let i = 0; i < 30; i++) {
        const b = binding({ server: i % 3 === 0 ? 'alpha' : 'files', pod: `10.0.0.${i % 4}:80`, ...(i % 5 ? { principal: i % 2 ? 'alice' : 'bob' } : {}) });
        all.push(b);
        await registry.put(b);
      }
      const cases: { server?: string; pod?: string; principal?: string }[] = [
        { server: 'files' },
        { server: 'alpha' },
        { pod: '10.0.0.1:80' },
        { principal: 'alice' },
        { server: 'files', pod: '10.0.0.2:80' },
        { server: 'files', pod: '10.0.0.3:80', principal: 'bob' },
        { server: 'nobody' },
      ];
      for (const q of cases) {
        const expected = all.filter(
          (b) => (!q.server || b.server === q.server) && (!q.pod || b.pod === q.pod) && (!q.principal || b.principal === q.principal),
        );
        assert.deepEqual(ids(await listAll(registry, { ...q, limit: 4 })).sort(), sortedIds(expected).sort(), JSON.stringify(q));
      }
    });

    it('resumes a listing right after the cursor even when bindings change between pages', async () => {
      for (let i = 0; i < 6; i++) await registry.put(binding({ id: `s${i}` }));
      const order = ids(await listAll(registry, { limit: 100 }));
      const first = await registry.list({ limit: 3 });
      assert.deepEqual(ids(first.items), order.slice(0, 3));
      const id = (x: string) => x.split('/')[1]!;
      await registry.delete('files', id(order[1]!));
      await registry.delete('files', id(order[3]!));
      await registry.put(binding({ id: 's0a' }));
      const rest = await registry.list({ limit: 10, cursor: first.nextCursor! });
      // A binding added meanwhile may land on either side of the cursor.
      assert.deepEqual(ids(rest.items).filter((x) => x !== 'files/s0a'), order.slice(4));
    });

    it('rejects malformed cursors and limits', async () => {
      await assert.rejects(registry.list({ limit: 0 }), SessionInputError);
      await assert.rejects(registry.list({ limit: 1.5 }), SessionInputError);
      await assert.rejects(registry.list({ limit: 5, cursor: '!!not-base64url\u0000' }), SessionInputError);
      await assert.rejects(registry.list({ limit: 5, cursor: Buffer.from('no-space').toString('base64url') }), SessionInputError);
    });

    it('touch never recreates a deleted or re-bound binding', async () => {
      const b = binding();
      await registry.put(b);
      await registry.delete(b.server, b.id);
      await registry.touch(b, b.lastSeenAt + 10 * 24 * 3600_000);
      assert.equal(await registry.get(b.server, b.id), undefined);

      const c = binding({ pod: 'A:1' });
      await registry.put(c);
      await registry.put({ ...c, pod: 'B:1' });
      await registry.touch(c, c.lastSeenAt + 10 * 24 * 3600_000);
      assert.equal((await registry.get(c.server, c.id))?.pod, 'B:1');
    });
  });
}
