/**
 * Parsers for ntfy's streaming subscribe endpoints: newline-delimited JSON (`/json`) and Server-Sent
 * Events (`/sse`). Both bound what they hold, so one oversized event cannot exhaust memory.
 */

const EMPTY = Buffer.alloc(0);

/**
 * Splits a byte stream into lines (LF or CR LF). A line that grows past the limit is reported once as
 * `undefined` and skipped up to its end, so one oversized event does not cost the link.
 */
export class LineSplitter {
  readonly #maxBytes: number;
  #rest: Buffer = EMPTY;
  #skipping = false;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Feeds a chunk; `onLine` gets each complete line, or undefined once for an oversized one. */
  push(chunk: Uint8Array, onLine: (line: Uint8Array | undefined) => void): void {
    const incoming = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const data = this.#rest.length === 0 ? incoming : Buffer.concat([this.#rest, incoming]);
    let start = 0;
    for (;;) {
      const newline = data.indexOf(0x0a, start);
      if (newline === -1) break;
      if (this.#skipping) this.#skipping = false;
      else onLine(data.subarray(start, newline > start && data[newline - 1] === 0x0d ? newline - 1 : newline));
      start = newline + 1;
    }
    this.#rest = this.#skipping ? EMPTY : Buffer.from(data.subarray(start));
    if (this.#rest.length > this.#maxBytes + 1) {
      this.#rest = EMPTY;
      this.#skipping = true;
      onLine(undefined);
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reassembles Server-Sent Events from lines: `data:` lines up to a blank line make one event. An event
 * whose data grows past the limit is reported once and skipped.
 */
export class SseEvents {
  readonly #maxBytes: number;
  #data: string[] = [];
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Feeds one line; `onData` gets each complete event's data, `onError` a reason for a bad one. */
  push(line: Uint8Array, onData: (data: string) => void, onError: (why: string) => void): void {
    if (line.byteLength === 0) {
      const data = this.#data.join('\n');
      const oversized = this.#bytes > this.#maxBytes;
      this.#data = [];
      this.#bytes = 0;
      if (oversized) onError(`an SSE event over the limit of ${this.#maxBytes} bytes`);
      else if (data !== '') onData(data);
      return;
    }
    if (this.#bytes > this.#maxBytes) return; // already too large: wait for the blank line that ends it
    let text: string;
    try {
      text = utf8.decode(line);
    } catch {
      onError('an SSE line that is not valid UTF-8');
      return;
    }
    if (text.startsWith(':')) return; // comment
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    if (field !== 'data') return; // event:, id:, retry: add nothing: the JSON names its event
    const value = colon === -1 ? '' : text.slice(colon + 1);
    const data = value.startsWith(' ') ? value.slice(1) : value;
    this.#bytes += line.byteLength;
    if (this.#bytes > this.#maxBytes) this.#data = [];
    else this.#data.push(data);
  }
}
