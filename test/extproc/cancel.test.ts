// A stream cancelled in any phase gives back what its request holds, exactly once, even when the
// store is slow and the decision resolves only after the cancel (Envoy's message timeout with a slow
// Redis). Seen as a client sees it: under a concurrency limit of 1 and a session cap of 1, the next
// request is admitted instead of waiting out the 300 s lease or the 24 h session TTL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { httpStatusNumber, type ProcessingRequest, type ProcessingResponse } from '../../src/envoy/index.js';
import { headerMap, postHeaders, startGateway, testConfig, type ProcessStream, type RunningGateway } from '../grpc/harness.js';
import { eventually } from '../sessions/redisHarness.js';
import { pauseWrites, startRedis, type RedisProcess, type WritePause } from '../support/redis.js';

const MCP = { 'mcp-protocol-version': '2025-11-25', accept: 'application/json, text/event-stream' };
const rpc = (method: string, params: Record<string, unknown>, id = 1) => Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
const TOOL_CALL = rpc('tools/call', { name: 'echo', arguments: {} });
const INITIALIZE = rpc('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '0' } });
const SESSION_ID = 'session-bound-while-cancelled';

const headersMsg = (extra: Record<string, string> = {}): ProcessingRequest => ({ request_headers: { headers: headerMap(postHeaders({ ...MCP, ...extra })), end_of_stream: false } });
const bodyMsg = (body: Buffer): ProcessingRequest => ({ request_body: { body, end_of_stream: true } });
const responseMsg = (endOfStream: boolean, extra: Record<string, string> = {}): ProcessingRequest => ({
  response_headers: { headers: headerMap({ ':status': '200', 'content-type': 'application/json', ...extra }), end_of_stream: endOfStream },
});
const refused = (r: ProcessingResponse) => (r.response === 'immediate_response' ? httpStatusNumber(r.immediate_response?.status.code) : undefined);

describe('a cancelled ext_proc stream releases its holds once, with a slow store', () => {
  let redis: RedisProcess;
  let gw: RunningGateway;
  let pause: WritePause | undefined;

  before(async () => {
    redis = await startRedis();
    gw = await startGateway(
      testConfig({
        // Long enough that the paused store is slow, not unavailable (no fail-open fallback here).
        store: { kind: 'redis', url: redis.url, commandTimeoutMs: 10_000 },
        limits: [
          { name: 'one-at-a-time', per: [], concurrency: { max: 1, leaseSeconds: 300 } },
          { name: 'one-session', per: [], sessions: { max: 1 } },
        ],
      }),
    );
  });
  after(async () => {
    await pause?.resume().catch(() => undefined);
    await gw.close();
    await redis.stop();
  });

  // Read in process: a /metrics scrape would wait for the paused store (live sessions are read from it).
  const openStreams = async () => (await gw.service.metrics.streamsOpen.get()).values.find((v) => v.labels.service === 'ext_proc')?.value;

  /** Sends without waiting for the reply (it may never come: the stream gets cancelled). */
  const sendPending = (s: ProcessStream, msg: ProcessingRequest) => void s.send(msg).catch(() => undefined);

  /** Holds every store write from now on. */
  async function slowStore(): Promise<WritePause> {
    pause = await pauseWrites(redis.url);
    return pause;
  }

  /** Cancels, waits until mcpgw closed the stream, then lets the store answer what it was holding. */
  async function cancelThenResume(s: ProcessStream): Promise<void> {
    s.cancel();
    await eventually(async () => assert.equal(await openStreams(), 0));
    await pause?.resume();
    pause = undefined;
  }

  /** The next request is admitted (eventually: the release may still be on its way) and completes. */
  async function nextAdmitted(body: Buffer, extra: Record<string, string> = {}): Promise<void> {
    await eventually(async () => {
      const s = gw.openStream();
      await s.send(headersMsg(extra));
      const r = await s.send(bodyMsg(body));
      if (refused(r) !== undefined) {
        s.cancel();
        throw new Error(`refused with ${refused(r)}`);
      }
      await s.send(responseMsg(true));
      assert.equal((await s.end()).code, 0);
    }, 10_000);
  }

  it('while the request body waits: nothing is held yet, the next request is admitted', async () => {
    const s = gw.openStream();
    await s.send(headersMsg());
    await slowStore();
    await cancelThenResume(s);
    await nextAdmitted(TOOL_CALL);
  });

  /** A stream whose request was admitted: it holds what the limits took. */
  async function admitted(body: Buffer): Promise<ProcessStream> {
    const s = gw.openStream();
    await s.send(headersMsg());
    assert.equal(refused(await s.send(bodyMsg(body))), undefined, 'admitted');
    return s;
  }

  /** Cancels while the decision on `body` waits for the store, then checks the next request is admitted. */
  async function cancelDuringDecision(body: Buffer, waiting: string): Promise<void> {
    const s = gw.openStream();
    await s.send(headersMsg());
    const store = await slowStore();
    sendPending(s, bodyMsg(body));
    await eventually(async () => assert.ok((await store.blocked()) > 0, waiting));
    await cancelThenResume(s);
    await nextAdmitted(body);
  }

  it('while the decision waits for the store: the concurrency slot it takes afterwards is given back', () =>
    cancelDuringDecision(TOOL_CALL, 'the limit check waits for the store'));

  it('while the decision of an initialize waits: its session-cap reservation is given back', () =>
    cancelDuringDecision(INITIALIZE, 'the session-cap check waits for the store'));

  it('while the response is awaited: the slot and the reservation are given back', async () => {
    const s = await admitted(INITIALIZE);
    await slowStore();
    await cancelThenResume(s);
    await nextAdmitted(INITIALIZE);
  });

  it('while the response body streams: the slot is given back', async () => {
    const s = await admitted(TOOL_CALL);
    const r = await s.send(responseMsg(false));
    assert.equal(r.mode_override?.response_body_mode, 'STREAMED', 'mcpgw holds the slot until the body ends');
    await slowStore();
    await cancelThenResume(s);
    await nextAdmitted(TOOL_CALL);
  });

  // Last: the session this binds is live afterwards (the upstream created it), so the cap stays taken.
  it('while the session of an initialize is being bound: the slot is given back, the session kept', async () => {
    const s = await admitted(INITIALIZE);
    const store = await slowStore();
    sendPending(s, responseMsg(true, { 'mcp-session-id': SESSION_ID }));
    await eventually(async () => assert.ok((await store.blocked()) > 0, 'binding the session waits for the store'));
    await cancelThenResume(s);
    await nextAdmitted(TOOL_CALL, { 'mcp-session-id': SESSION_ID });
    const again = gw.openStream();
    await again.send(headersMsg());
    assert.equal(refused(await again.send(bodyMsg(INITIALIZE))), 429, 'the bound session holds the one session slot');
    again.cancel();
  });
});
