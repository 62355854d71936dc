// The log destination: appends text to a file descriptor without ever blocking a request.
//
// Lines gather in memory and go to the kernel in batches: a batch leaves FLUSH_DELAY_MS after its first
// line, or at once when it reaches FLUSH_CHARS, and while one write is in flight the next batch gathers
// behind it. Under load a write then carries hundreds of lines, so the cost of handing a write to the
// thread pool and hearing back from it is paid a few hundred times a second, not once per request. The
// in-flight bytes live in one reusable buffer. A destination slower than the traffic cannot grow memory
// without bound: past `maxPendingChars` lines are dropped and counted, and the count is reported once
// writing catches up. The first hard error (disk full, reader gone) stops the sink for good; the agent
// keeps serving.
import { closeSync, write, writeSync } from 'node:fs';

/** The longest a line waits in memory before its write starts (when no write is in flight). */
const FLUSH_DELAY_MS = 5;
/** A batch this long is written without waiting for the delay. */
const FLUSH_CHARS = 64 * 1024;
/** How long to wait before retrying a non-blocking descriptor (a pipe) that had no room. */
const RETRY_EAGAIN_MS = 10;
/** flushSync gives a full pipe this long before leaving lines behind. */
const FLUSH_SYNC_LIMIT_MS = 1000;

export interface FileSinkOptions {
  fd: number;
  /** Close the descriptor on close() (a file we opened), or leave it open (stdout). */
  ownsFd: boolean;
  /** Called once, on the first hard error; the sink drops everything after it. */
  onError(err: NodeJS.ErrnoException): void;
  /** Called after a write succeeds when lines were dropped before it, with how many. */
  onDropped(count: number): void;
  maxPendingChars?: number;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

export class FileSink {
  private pending = '';
  /** One timer, re-armed with refresh(): no allocation per batch. */
  private timer: NodeJS.Timeout | null = null;
  private armed = false;
  private writing = false;
  private dropped = 0;
  /** Twice a full batch: under load a batch grows while the write before it is in flight. */
  private buffer = Buffer.allocUnsafe(2 * FLUSH_CHARS);
  private stopped = false;
  private released = false;
  private idle: (() => void) | null = null;
  private readonly maxPendingChars: number;

  constructor(private readonly options: FileSinkOptions) {
    this.maxPendingChars = options.maxPendingChars ?? 32 * 1024 * 1024;
  }

  write(text: string): void {
    if (this.stopped) return;
    if (this.pending.length + text.length > this.maxPendingChars) {
      this.dropped++;
      return;
    }
    this.pending += text;
    if (!this.writing) this.schedule();
  }

  /** Starts the pending batch now if it is long enough, else makes sure the timer will. */
  private schedule(): void {
    if (this.pending.length >= FLUSH_CHARS) return this.startWrite();
    if (this.armed) return;
    this.armed = true;
    if (this.timer === null) {
      this.timer = setTimeout(this.onTimer, FLUSH_DELAY_MS);
      // Pending lines never keep the process alive: close() and the exit hook write them.
      this.timer.unref();
    } else this.timer.refresh();
  }

  // A batch started early leaves the timer armed: clearing it would stop refresh() from re-arming it,
  // and its late firing finds nothing to do.
  private readonly onTimer = (): void => {
    this.armed = false;
    this.startWrite();
  };

  private startWrite(): void {
    if (this.stopped || this.writing) return;
    if (this.pending.length === 0) {
      this.idle?.();
      return;
    }
    const length = this.take();
    this.writing = true;
    this.writeFrom(0, length);
  }

  /** Moves the pending text into the buffer (growing it when needed) and returns its byte length. */
  private take(): number {
    const text = this.pending;
    this.pending = '';
    // No character takes more than 4 bytes, so with 4 bytes to spare the encoder stopped because the text
    // ended: the batch is encoded once, without measuring it first. Only a batch that filled the buffer is measured.
    const written = this.buffer.write(text, 0);
    if (written <= this.buffer.length - 4) return written;
    const length = Buffer.byteLength(text);
    if (length > this.buffer.length - 4) this.buffer = Buffer.allocUnsafe(Math.max(length + 4, this.buffer.length * 2));
    return this.buffer.write(text, 0, length);
  }

  private writeFrom(offset: number, end: number): void {
    write(this.options.fd, this.buffer, offset, end - offset, null, (err, written) => {
      if (this.stopped) return;
      if (err) {
        if (err.code === 'EAGAIN') {
          setTimeout(() => this.writeFrom(offset, end), RETRY_EAGAIN_MS);
          return;
        }
        this.fail(err);
        return;
      }
      if (offset + written < end) return this.writeFrom(offset + written, end);
      this.writing = false;
      if (this.dropped > 0) {
        const count = this.dropped;
        this.dropped = 0;
        this.options.onDropped(count);
      }
      if (this.pending.length > 0) this.schedule();
      else this.idle?.();
    });
  }

  private fail(err: NodeJS.ErrnoException): void {
    this.stopped = true;
    this.writing = false;
    this.pending = '';
    this.options.onError(err);
    this.idle?.();
  }

  /**
   * Writes what is pending before the process exits. A write still in flight is left to the kernel's
   * thread; if the descriptor stays full past a second, the rest is given up rather than hang the exit.
   */
  flushSync(): void {
    if (this.stopped || this.pending.length === 0) return;
    const bytes = Buffer.from(this.pending);
    this.pending = '';
    const deadline = Date.now() + FLUSH_SYNC_LIMIT_MS;
    for (let offset = 0; offset < bytes.length; ) {
      try {
        offset += writeSync(this.options.fd, bytes, offset);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() > deadline) return;
        Atomics.wait(sleepCell, 0, 0, 1);
      }
    }
  }

  /** Writes everything pending, then releases the descriptor; gives up after `ms`. */
  close(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.idle = null;
        this.stopped = true;
        this.release();
        resolve();
      };
      // A hung disk or a reader that stopped reading must not hold the exit for ever. The descriptor
      // stays open then: closing it under the write still in flight could land that write elsewhere.
      const timer = setTimeout(() => {
        this.idle = null;
        this.stopped = true;
        resolve();
      }, ms);
      if (this.stopped) return finish();
      this.idle = finish;
      if (!this.writing) this.startWrite();
    });
  }

  private release(): void {
    if (this.released || this.writing || !this.options.ownsFd) return;
    this.released = true;
    closeSync(this.options.fd);
  }
}
