// The `mcpgw` command as an installed package is run: the bin shim, `npx mcpgw`, `--version`,
// per-command help, and `npm start` whose process is mcpgw itself (stopping npm stops mcpgw, and
// nothing is left listening).
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; bin: Record<string, string> };

/** Resolves once a line matching `pattern` appears on the child's stdout; rejects if it exits first. */
function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => pattern.test(l));
      if (line) {
        child.stdout?.off('data', onData);
        resolve(line);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited (${code}) before printing ${pattern}:\n${buffered}`)));
  });
}

function refused(address: string): Promise<boolean> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the mcpgw command', () => {
  it('the package bin prints the package version and per-command help', async () => {
    assert.equal(pkg.bin['mcpgw'], 'bin/mcpgw.js');
    const version = await run(process.execPath, [pkg.bin['mcpgw']!, '--version']);
    assert.equal(version.stdout, `mcpgw ${pkg.version}\n`);
    const help = await run(process.execPath, [pkg.bin['mcpgw']!, 'serve', '--help']);
    assert.match(help.stdout, /^usage: mcpgw serve /);
    assert.match(help.stdout, /--grpc-listen HOST:PORT/);
  });

  it('npx mcpgw runs it from the checkout, without a build or a download', async () => {
    const r = await run('npx', ['--no-install', 'mcpgw', '--version']);
    assert.equal(r.stdout, `mcpgw ${pkg.version}\n`);
  });

  it('npm start runs mcpgw as the process that gets SIGTERM: stopping npm stops it, nothing listens after', async () => {
    const npm = spawn('npm', ['start', '--', '--grpc-listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    try {
      const line = JSON.parse(await waitForLine(npm, /"msg":"mcpgw listening"/)) as { grpc: string; http: string };
      // npm's child is mcpgw itself (the script execs node), not a shell that would outlive a signal.
      const children = (await run('ps', ['-o', 'pid=,args=', '--ppid', String(npm.pid)])).stdout.trim().split('\n');
      assert.equal(children.length, 1, children.join('\n'));
      assert.match(children[0]!, /^\s*\d+ node bin\/mcpgw\.js serve /);
      const mcpgwPid = Number(children[0]!.trim().split(/\s+/)[0]);
      assert.equal(await refused(line.http), false, 'listening before the signal');

      npm.kill('SIGTERM');
      assert.equal(await exited, 0, 'npm reports mcpgw\'s clean exit');
      assert.equal(alive(mcpgwPid), false, 'mcpgw stopped with npm');
      assert.equal(await refused(line.grpc), true);
      assert.equal(await refused(line.http), true);
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  });
});
