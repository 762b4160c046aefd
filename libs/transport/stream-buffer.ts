// Reassembly buffer for one TCP connection. The common case (a chunk holding
// whole messages) is zero-copy: the chunk itself is framed. When a message
// spans chunks, bytes are appended into a buffer that grows by doubling, so a
// message trickled in many small chunks costs amortised O(n) copying, not
// O(n^2). Regions already handed out as messages are never written again
// (growth allocates a new buffer), so delivered Buffers stay valid.

const EMPTY = Buffer.alloc(0);
const MIN_CAPACITY = 4096;

export class StreamBuffer {
  #buf: Buffer = EMPTY;
  #start = 0;
  #end = 0;
  /** false while #buf is a borrowed socket chunk we must not write into */
  #owned = false;

  get length(): number {
    return this.#end - this.#start;
  }

  append(chunk: Buffer): void {
    const len = this.#end - this.#start;
    if (len === 0) {
      this.#buf = chunk;
      this.#start = 0;
      this.#end = chunk.length;
      this.#owned = false;
      return;
    }
    if (this.#owned && this.#buf.length - this.#end >= chunk.length) {
      chunk.copy(this.#buf, this.#end);
      this.#end += chunk.length;
      return;
    }
    const need = len + chunk.length;
    const next = Buffer.allocUnsafe(Math.max(need * 2, MIN_CAPACITY));
    this.#buf.copy(next, 0, this.#start, this.#end);
    chunk.copy(next, len);
    this.#buf = next;
    this.#start = 0;
    this.#end = need;
    this.#owned = true;
  }

  /** the unconsumed bytes (a view, not a copy) */
  view(): Buffer {
    return this.#buf.subarray(this.#start, this.#end);
  }

  consume(n: number): void {
    this.#start += n;
    if (this.#start >= this.#end) this.clear();
  }

  clear(): void {
    this.#buf = EMPTY;
    this.#start = 0;
    this.#end = 0;
    this.#owned = false;
  }
}
