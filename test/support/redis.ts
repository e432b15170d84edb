// A real redis-server for tests: one process on a free port, without persistence, that a test can
// stop, kill (SIGKILL, like a crashed node) and restart on the same port. Also a 3-master /
// 3-replica Cluster and a Sentinel-watched master + replica built from such processes.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
// ports.js rather than the fixtures index: the index loads the MCP SDKs, seconds per test file.
import { freePort } from '../fixtures/ports.js';

const REDIS_SERVER = '/usr/bin/redis-server';
const REDIS_CLI = '/usr/bin/redis-cli';
const START_TIMEOUT_MS = 10_000;

export interface RedisProcess {
  url: string;
  port: number;
  /** SIGTERM, then wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL, then wait for exit. */
  kill(): Promise<void>;
  /** Starts a fresh (empty) server on the same port, stopping the current one first if running. */
  restart(): Promise<void>;
}

/** args: extra redis-server arguments for the chosen port (config file first, if any). */
export async function startRedis(args: (port: number) => string[] = () => []): Promise<RedisProcess> {
  // A free port can be taken by another test file's server before ours binds it: try another.
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 1; !child; attempt++) {
    port = await freePort();
    try {
      child = await spawnRedis(port, args(port));
    } catch (err) {
      if (attempt >= 5) throw err;
    }
  }
  const end = async (signal: NodeJS.Signals) => {
    const c = child;
    child = undefined;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill(signal);
      await exited;
    }
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    restart: async () => {
      await end('SIGTERM');
      child = await spawnRedis(port, args(port));
    },
  };
}

async function spawnRedis(port: number, args: string[]): Promise<ChildProcess> {
  // A Sentinel takes its port and everything else from its config file (and rewrites it).
  const sentinel = args.includes('--sentinel');
  const child = spawn(REDIS_SERVER, sentinel ? args : [...args, '--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + START_TIMEOUT_MS;
  // The answer must come from this child: another test's redis-server may hold the port (this one
  // then exits on bind), and sharing it would let that test's kill() take ours down.
  while ((await serverPid(port)) !== child.pid) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer PING on port ${port} within ${START_TIMEOUT_MS} ms`);
    }
    await sleep(20);
  }
  return child;
}

/** The process id of the redis-server answering on `port` (INFO server), if one answers. */
function serverPid(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (pid: number | undefined) => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(500, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (d) => {
      reply += d.toString();
      const m = /process_id:(\d+)/.exec(reply);
      if (m) done(Number(m[1]));
      else if (reply.startsWith('-')) done(undefined);
    });
  });
}

export interface WritePause {
  /** Commands (writes, scripts) now waiting for the pause to end. */
  blocked(): Promise<number>;
  /** Ends the pause: the waiting commands run, in order. */
  resume(): Promise<void>;
}

/**
 * A slow store on demand: CLIENT PAUSE WRITE holds every write and script (limits, bindings) until
 * resumed, while reads such as INFO still answer, so a test can see a command waiting.
 */
export async function pauseWrites(url: string): Promise<WritePause> {
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
  await admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
  return {
    blocked: async () => Number(/blocked_clients:(\d+)/.exec(await admin.info('clients'))?.[1] ?? 0),
    resume: async () => {
      await admin.call('CLIENT', 'UNPAUSE');
      admin.disconnect();
    },
  };
}

/** Node timeout of the test Cluster and down-after of the test Sentinel: failovers within seconds. */
export const FAILURE_DETECTION_MS = 1000;

export interface RedisClusterProcess {
  /** "127.0.0.1:port" of every node (seed list). */
  seeds: string[];
  nodes: RedisProcess[];
  /** The node serving a key's slot now (its master). */
  masterOf(key: string): Promise<RedisProcess>;
  /** Waits until every slot is served by a reachable master and all live nodes agree the cluster is ok. */
  healthy(timeoutMs?: number): Promise<void>;
  /**
   * While every master is up: waits until each replica follows its master and has every write the
   * master acknowledged so far (replication offsets equal), so a failover now loses no acknowledged write.
   */
  synced(timeoutMs?: number): Promise<void>;
  /**
   * Moves a slot to another master the way redis-cli --cluster reshard does (IMPORTING / MIGRATING,
   * MIGRATE key by key, SETSLOT NODE), calling between() after the first key moved, while clients
   * get ASK for moved keys and MOVED once it is done.
   */
  moveSlot(slot: number, to: RedisProcess, between?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/** A Redis Cluster on loopback: `masters` masters with one replica each, formed with redis-cli --cluster create. */
export async function startRedisCluster(masters = 3): Promise<RedisClusterProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'mcpgw-cluster-'));
  const args = (port: number) => [
    '--cluster-enabled', 'yes',
    '--cluster-config-file', join(dir, `nodes-${port}.conf`),
    '--cluster-node-timeout', String(FAILURE_DETECTION_MS),
    // Healthy slots keep answering while one master fails over (as docs/operations.md recommends).
    '--cluster-require-full-coverage', 'no',
    // A replica may always take over, however long it was disconnected.
    '--cluster-replica-validity-factor', '0',
    // Redis 7 delays a replica's first (diskless) sync by 5 s: a replica promoted before it would
    // hold nothing, which is a real loss of every binding on its master, not the failover under test.
    '--repl-diskless-sync-delay', '0',
    '--dir', dir,
  ];
  const nodes = await Promise.all(Array.from({ length: masters * 2 }, () => startRedis(args)));
  const seeds = nodes.map((n) => `127.0.0.1:${n.port}`);
  await run(REDIS_CLI, ['--cluster', 'create', ...seeds, '--cluster-replicas', '1', '--cluster-yes']);
  // Errors (a killed node) reject the command; the 'error' event would only repeat them.
  const admin = (n: RedisProcess) => new Redis(n.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 }).on('error', () => undefined);
  const ask = async <T>(n: RedisProcess, command: (r: Redis) => Promise<T>): Promise<T> => {
    const r = admin(n);
    try {
      await r.connect();
      return await command(r);
    } finally {
      r.disconnect();
    }
  };
  const slotOwners = async (): Promise<Map<number, number>> => {
    for (const n of nodes) {
      try {
        const slots = (await ask(n, (r) => r.call('CLUSTER', 'SLOTS'))) as Array<[number, number, [string, number]]>;
        const owners = new Map<number, number>();
        for (const [from, to, [, port]] of slots) for (let s = from; s <= to; s++) owners.set(s, port);
        return owners;
      } catch {
        // That node is down: ask another.
      }
    }
    throw new Error('no cluster node answers');
  };
  /** Every live replica (at least `min`) follows its master and has the master's replication offset. */
  const replicasSynced = (min: number, timeoutMs = 30_000) =>
    waitFor(async () => {
      let replicas = 0;
      for (const n of nodes) {
        const info = await ask(n, (r) => r.info('replication')).catch(() => undefined);
        if (!info || !/role:slave/.test(info)) continue;
        replicas++;
        if (!/master_link_status:up/.test(info)) return false;
        const master = nodes.find((m) => m.port === Number(/master_port:(\d+)/.exec(info)?.[1]));
        if (!master) return false;
        const masterOffset = Number(/master_repl_offset:(\d+)/.exec(await ask(master, (r) => r.info('replication')))?.[1]);
        if (Number(/slave_repl_offset:(\d+)/.exec(info)?.[1]) < masterOffset) return false;
      }
      return replicas >= min;
    }, "every replica has its master's writes", timeoutMs);
  const cluster: RedisClusterProcess = {
    seeds,
    nodes,
    masterOf: async (key) => {
      const slot = Number(await ask(nodes[0]!, (r) => r.call('CLUSTER', 'KEYSLOT', key)).catch(() => ask(nodes[1]!, (r) => r.call('CLUSTER', 'KEYSLOT', key))));
      const port = (await slotOwners()).get(slot);
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error(`no master for slot ${slot}`);
      return node;
    },
    healthy: async (timeoutMs = 30_000) => {
      await waitFor(async () => {
        const owners = await slotOwners();
        if (owners.size !== 16384) return false;
        for (const port of new Set(owners.values())) {
          const n = nodes.find((x) => x.port === port)!;
          if (!/cluster_state:ok/.test(String(await ask(n, (r) => r.call('CLUSTER', 'INFO'))))) return false;
        }
        return true;
      }, 'the cluster serves every slot', timeoutMs);
    },
    synced: (timeoutMs) => replicasSynced(1, timeoutMs),
    moveSlot: async (slot, to, between) => {
      const owners = await slotOwners();
      const from = nodes.find((n) => n.port === owners.get(slot))!;
      const id = (n: RedisProcess) => ask(n, (r) => r.call('CLUSTER', 'MYID')) as Promise<string>;
      const [fromId, toId] = [await id(from), await id(to)];
      await ask(to, (r) => r.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId));
      await ask(from, (r) => r.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId));
      let first = true;
      for (;;) {
        // Ten keys a step, as redis-cli --cluster reshard moves them.
        const keys = (await ask(from, (r) => r.call('CLUSTER', 'GETKEYSINSLOT', slot, 10))) as string[];
        if (!keys.length) break;
        await ask(from, (r) => r.call('MIGRATE', '127.0.0.1', to.port, '', 0, 5000, 'KEYS', ...keys));
        if (first && between) await between();
        first = false;
      }
      for (const n of [to, from]) await ask(n, (r) => r.call('CLUSTER', 'SETSLOT', slot, 'NODE', toId));
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };
  await cluster.healthy();
  // A failover test must not start while a replica is still empty (its first sync).
  await replicasSynced(masters);
  return cluster;
}

export interface RedisSentinelProcess {
  /** "127.0.0.1:port" of the Sentinel. */
  sentinels: string[];
  masterName: string;
  /** The master, then its replica. */
  servers: RedisProcess[];
  /** The server the Sentinel names as master now. */
  master(): Promise<RedisProcess>;
  /** Waits until the Sentinel names a master other than `old` and that master answers as one. */
  failedOver(old: RedisProcess, timeoutMs?: number): Promise<RedisProcess>;
  stop(): Promise<void>;
}

/** A master, its replica and one Sentinel (quorum 1) watching them, all on loopback. */
export async function startRedisSentinel(masterName = 'mcpgw'): Promise<RedisSentinelProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'mcpgw-sentinel-'));
  // --dir: a replica's full sync writes an RDB file, which belongs in the temporary directory.
  const master = await startRedis(() => ['--dir', dir]);
  const replica = await startRedis(() => ['--dir', dir, '--replicaof', '127.0.0.1', String(master.port)]);
  const sentinel = await startRedis((port) => {
    const file = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${masterName} ${FAILURE_DETECTION_MS}`,
        `sentinel failover-timeout ${masterName} 5000`,
        `sentinel parallel-syncs ${masterName} 1`,
        '',
      ].join('\n'),
    );
    return [file, '--sentinel'];
  });
  const servers = [master, replica];
  const named = async (): Promise<RedisProcess> => {
    const r = new Redis(sentinel.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 }).on('error', () => undefined);
    try {
      await r.connect();
      const [, port] = (await r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string];
      const s = servers.find((x) => x.port === Number(port));
      if (!s) throw new Error(`the Sentinel names an unknown master on port ${port}`);
      return s;
    } finally {
      r.disconnect();
    }
  };
  // The replica is in sync before anything relies on it.
  await waitFor(async () => /master_link_status:up/.test(await infoOf(replica, 'replication')), 'the replica follows the master');
  await waitFor(async () => ((await sentinelInfo(sentinel.port, masterName)) as unknown[]).length > 0, 'the Sentinel knows the replica');
  return {
    sentinels: [`127.0.0.1:${sentinel.port}`],
    masterName,
    servers,
    master: named,
    failedOver: async (old, timeoutMs = 30_000) => {
      let next: RedisProcess | undefined;
      await waitFor(async () => {
        const m = await named();
        if (m === old || !/role:master/.test(await infoOf(m, 'replication'))) return false;
        next = m;
        return true;
      }, 'the Sentinel promoted the replica', timeoutMs);
      return next!;
    },
    stop: async () => {
      await Promise.all([sentinel.stop(), master.stop(), replica.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function infoOf(n: RedisProcess, section: string): Promise<string> {
  const r = new Redis(n.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null }).on('error', () => undefined);
  try {
    await r.connect();
    return await r.info(section);
  } finally {
    r.disconnect();
  }
}

async function sentinelInfo(port: number, masterName: string): Promise<unknown> {
  const r = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await r.connect();
    return await r.call('SENTINEL', 'REPLICAS', masterName);
  } finally {
    r.disconnect();
  }
}

/** Polls a condition (errors count as "not yet") until it holds or timeoutMs passes. */
async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}${last ? ` (${String(last)})` : ''}`);
    await sleep(100);
  }
}

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${file} ${args.join(' ')}: ${err.message}\n${stdout}${stderr}`)) : resolve()));
  });
}
