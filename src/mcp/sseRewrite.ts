// Rewrites the one SSE event carrying a list response; every other byte passes through unchanged.
//
// eventsource-parser yields events, not the bytes they came from, so the framing (where an event
// starts and ends in the byte stream) is done here and the parser interprets each framed event.
// Framing works on bytes: CR and LF never occur inside a UTF-8 multi-byte sequence, so a chunk
// boundary anywhere (mid-line, mid-character, between CR and LF) yields the same output as the whole
// body. Only one event is buffered at a time, and nothing at all once the response has gone by.
import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import { filterParsedBody, type ListRequestId, type Visibility } from './listFilter.js';

const LF = 0x0a;
const CR = 0x0d;
const BOM = [0xef, 0xbb, 0xbf];
const EMPTY = new Uint8Array(0);

/** One line of the buffered event: content `[start, contentEnd)`, terminator `[contentEnd, end)`. */
interface Line {
  start: number;
  contentEnd: number;
  end: number;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] ?? EMPTY;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export class SseListRewriter {
  /** Bytes not emitted yet: `buf[0, len)`, starting with the event being buffered. Only the spare
   *  capacity of a buffer allocated here is ever written, so emitted subarrays never change. */
  private buf: Uint8Array = EMPTY;
  private len = 0;
  /** Completed lines of the buffered event, and where its current line starts. */
  private lines: Line[] = [];
  private lineStart = 0;
  /** Where to look for the next line terminator: a long line arriving in many chunks is scanned once. */
  private scanFrom = 0;
  private atStreamStart = true;
  /** The response has been rewritten: from here on bytes pass straight through. */
  private done = false;
  private readonly parser: EventSourceParser;
  /** What the parser dispatched for the event just fed: at most one message. */
  private readonly parsed: EventSourceMessage[] = [];
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly method: string,
    private readonly requestId: ListRequestId,
    private readonly visible: Visibility,
  ) {
    this.parser = createParser({ onEvent: (e) => this.parsed.push(e) });
    // The stream's BOM is passed through by the framing; feeding nothing first stops the parser from
    // stripping a second one that would be content.
    this.parser.feed('');
  }

  /**
   * Takes the next chunk; returns the bytes that can be emitted now. Both may share memory with
   * earlier chunks: the rewriter keeps a view of a chunk until its bytes are emitted, so a caller
   * must not reuse a chunk's buffer for later data.
   */
  push(chunk: Uint8Array): Uint8Array {
    if (this.done) return chunk;
    this.append(chunk);
    return this.drain(false);
  }

  /** The body has ended: emits whatever is still buffered. */
  end(): Uint8Array {
    return this.done ? EMPTY : this.drain(true);
  }

  private append(chunk: Uint8Array): void {
    if (this.len === 0) {
      this.buf = chunk;
    } else {
      if (this.len + chunk.length > this.buf.length) {
        const grown = new Uint8Array(Math.max(this.len + chunk.length, 2 * this.len));
        grown.set(this.buf.subarray(0, this.len));
        this.buf = grown;
      }
      this.buf.set(chunk, this.len);
    }
    this.len += chunk.length;
  }

  /** Keeps `buf[from, len)` as the new buffer; a view, so nothing is copied and nothing overwritten. */
  private keepFrom(from: number): void {
    this.buf = from === this.len ? EMPTY : this.buf.subarray(from, this.len);
    this.len -= from;
    this.lineStart -= from;
    this.scanFrom -= from;
  }

  private drain(final: boolean): Uint8Array {
    const out: Uint8Array[] = [];
    if (this.atStreamStart) {
      const bomSoFar = this.buf.subarray(0, Math.min(3, this.len));
      const isBomPrefix = bomSoFar.every((b, i) => b === BOM[i]);
      if (isBomPrefix && bomSoFar.length < 3 && !final) return EMPTY;
      this.atStreamStart = false;
      if (isBomPrefix && bomSoFar.length === 3) {
        // Nothing has been scanned yet, so only the buffer moves.
        out.push(bomSoFar);
        this.buf = this.buf.subarray(3, this.len);
        this.len -= 3;
      }
    }
    const buf = this.buf.subarray(0, this.len);
    let eventStart = 0;
    let i = this.scanFrom;
    for (; i < buf.length && !this.done; i++) {
      const b = buf[i];
      if (b !== LF && b !== CR) continue;
      // A CR last in the buffer may be the first half of CRLF: wait for the next byte unless final.
      if (b === CR && i + 1 === buf.length && !final) break;
      const end = b === CR && buf[i + 1] === LF ? i + 2 : i + 1;
      const line = { start: this.lineStart - eventStart, contentEnd: i - eventStart, end: end - eventStart };
      this.lineStart = end;
      i = end - 1;
      if (line.start !== line.contentEnd) {
        this.lines.push(line);
        continue;
      }
      out.push(this.emitEvent(buf.subarray(eventStart, end), line));
      eventStart = end;
      this.lines = [];
    }
    this.scanFrom = i;
    if (this.done) {
      out.push(buf.subarray(eventStart));
      this.keepFrom(this.len);
    } else if (final) {
      // An event cut off by the end of the body: a client may still act on it, so it is judged too.
      const rest = buf.subarray(eventStart);
      if (this.lineStart < buf.length) this.lines.push({ start: this.lineStart - eventStart, contentEnd: rest.length, end: rest.length });
      out.push(this.lines.length > 0 ? this.emitEvent(rest, undefined) : rest);
      this.keepFrom(this.len);
    } else {
      this.keepFrom(eventStart);
    }
    return concat(out);
  }

  /** `bytes` is one event; `blank` the empty line ending it (absent when the body ended first). */
  private emitEvent(bytes: Uint8Array, blank: Line | undefined): Uint8Array {
    if (this.lines.length === 0) return bytes;
    const texts = this.lines.map((l) => this.decoder.decode(bytes.subarray(l.start, l.contentEnd)));
    this.parser.feed(`${texts.join('\n')}\n\n`);
    const data = this.parsed.pop()?.data;
    if (data === undefined) return bytes;
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return bytes;
    }
    const filtered = filterParsedBody(json, this.method, this.requestId, this.visible);
    // With a known id only one response can match; with `null` every event is judged.
    if (filtered.changed && this.requestId !== null) this.done = true;
    if (!filtered.changed) return bytes;
    const isData = texts.map((text) => {
      const colon = text.indexOf(':');
      return (colon === -1 ? text : text.slice(0, colon)) === 'data';
    });
    // The new data goes where the last data line was, with its terminator: dropping the earlier ones
    // never puts a lone CR in front of the empty line's LF, which would merge them into one CRLF.
    const last = isData.lastIndexOf(true);
    const out: Uint8Array[] = [];
    this.lines.forEach((l, n) => {
      if (!isData[n]) out.push(bytes.subarray(l.start, l.end));
      else if (n === last) out.push(this.encoder.encode(`data: ${JSON.stringify(filtered.message)}`), bytes.subarray(l.contentEnd, l.end));
    });
    if (blank) out.push(bytes.subarray(blank.start, blank.end));
    return concat(out);
  }
}
