// Newline-delimited framing of a child's stdout / stderr with a bound on one line's length, so a child
// that floods without newlines cannot grow the bridge's memory.

export interface LineSink {
  line(text: string): void;
  /** A line grew past the bound; its bytes up to the next newline are dropped. */
  overflow(bytes: number): void;
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;

  constructor(private readonly maxBytes: number, private readonly sink: LineSink) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.take(chunk.subarray(start, nl));
      if (!this.skipping) this.emit();
      this.skipping = false;
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start));
  }

  /** What is left after the stream ended, as a last line. */
  end(): void {
    if (!this.skipping && this.size > 0) this.emit();
    this.parts = [];
    this.size = 0;
  }

  private take(part: Buffer): void {
    if (this.skipping || part.length === 0) return;
    if (this.size + part.length > this.maxBytes) {
      this.sink.overflow(this.size + part.length);
      this.parts = [];
      this.size = 0;
      this.skipping = true;
      return;
    }
    this.parts.push(part);
    this.size += part.length;
  }

  private emit(): void {
    const text = Buffer.concat(this.parts, this.size).toString('utf8').replace(/\r$/, '');
    this.parts = [];
    this.size = 0;
    if (text.trim() !== '') this.sink.line(text);
  }
}
