// A writable that keeps every line written to it, parsed, for asserting on log output.
import { Writable } from 'node:stream';

export class LineSink extends Writable {
  readonly raw: string[] = [];

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.raw.push(...String(chunk).split('\n').filter((l) => l.length > 0));
    done();
  }

  get objects(): Array<Record<string, unknown>> {
    return this.raw.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}
