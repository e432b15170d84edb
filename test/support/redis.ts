// A real redis-server for tests: one process on a free port, without persistence, that a test can
// stop, kill (SIGKILL, like a crashed node) and restart on the same port.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
// ports.js rather than the fixtures index: the index loads the MCP SDKs, seconds per test file.
import { freePort } from '../fixtures/ports.js';

const REDIS_SERVER = '/usr/bin/redis-server';
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

export async function startRedis(): Promise<RedisProcess> {
  // A free port can be taken by another test file's server before ours binds it: try another.
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 1; !child; attempt++) {
    port = await freePort();
    try {
      child = await spawnRedis(port);
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
      child = await spawnRedis(port);
    },
  };
}

async function spawnRedis(port: number): Promise<ChildProcess> {
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], {
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
