// Session recovery row: what the request that triggers a recovery pays on top of its own call, i.e.
// the replayed handshake (initialize + notifications/initialized) against a real SDK pod, next to
// one ordinary session call to the same pod as the baseline.
import { HttpSessionHandshake } from '../src/sessions/index.js';
import { startMcpPod } from '../test/fixtures/pod.js';
import { timeEach, type LatencySummary } from './histogram.js';

export interface RecoveryResult {
  handshake: LatencySummary;
  call: LatencySummary;
}

const PARAMS = JSON.stringify({ protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '0' } });
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };

export async function recoveryHandshake(iterations: number): Promise<RecoveryResult> {
  const pod = await startMcpPod({ name: 'recovery-pod' });
  try {
    const handshake = new HttpSessionHandshake();
    const target = { pod: pod.hostKey, path: '/mcp', authority: pod.hostKey, revision: '2025-11-25', params: PARAMS, sendInitialized: true, headers: [], timeoutMs: 5000 };
    const opened = await handshake.open(target);
    if (!opened.ok) throw new Error(`handshake failed: ${opened.detail}`);
    const call = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
    const callOnce = async () => {
      const r = await fetch(pod.url, { method: 'POST', headers: { ...HEADERS, 'mcp-session-id': opened.upstreamId }, body: call });
      await r.text();
    };
    await callOnce(); // warm up both paths
    return {
      call: await timeEach(iterations, callOnce),
      handshake: await timeEach(iterations, async () => {
        const r = await handshake.open(target);
        if (!r.ok) throw new Error(`handshake failed: ${r.detail}`);
      }),
    };
  } finally {
    await pod.close();
  }
}
