// One direction of a proxied pair (a Pipe) and the byte budget that cuts it: reads one socket,
// writes the other, and applies that direction's faults (stall, delay, re-chunking, a byte count)
// on the way, never reordering or repeating bytes.
import type { Socket } from 'node:net';
import { type FlowDirection } from './options.js';

/** Bytes a pipe buffers before it stops reading its source (TCP back-pressure does the rest). */
const HIGH_WATER = 64 * 1024;

/** How many more bytes may be forwarded before a pair is cut; shared by both pipes for `both`. */
export class ByteBudget {
  remaining: number;

  constructor(bytes: number) {
    this.remaining = bytes;
  }

  get spent(): boolean {
    return this.remaining === 0;
  }
}

/** What a {@link Pipe} holds back, in arrival order: data, the source's FIN, the source's reset. */
type Held =
  | { kind: 'data'; bytes: Buffer; at: number }
  | { kind: 'end'; at: number }
  | { kind: 'reset'; at: number };

/** What a {@link Pipe} tells its pair. */
export interface PipeEvents {
  /** `bytes` were handed to the sink. */
  forwarded(direction: FlowDirection, bytes: number): void;
  /** The armed budget ran out with this pipe's last write: the pair is to be cut now. */
  budgetSpent(): void;
  /** The source was reset, and everything it sent before has been forwarded. */
  sourceReset(): void;
}

/**
 * One direction of a proxied pair: reads `source`, writes `sink`, and applies that direction's
 * faults on the way. Everything read goes through one FIFO queue, so delays, stalls and
 * re-chunking hold bytes back but never reorder or repeat them. Reading pauses while the queue
 * holds {@link HIGH_WATER} bytes or more, or while the sink is not draining.
 */
export class Pipe {
  /** Set once the source's FIN has been forwarded (the sink was ended). */
  endWritten = false;
  /** Set once the source sent its FIN. */
  sourceEnded = false;
  #state: 'idle' | 'flowing' | 'ended' | 'halted' | 'discarding' = 'idle';
  readonly #queue: Held[] = [];
  #queued = 0;
  #stalled = false;
  #delay = 0;
  #budget: ByteBudget | undefined;
  #blocked = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #immediate: ReturnType<typeof setImmediate> | undefined;

  constructor(
    readonly direction: FlowDirection,
    readonly source: Socket,
    readonly sink: Socket,
    readonly chunkSize: number | undefined,
    readonly events: PipeEvents,
  ) {}

  /** Starts reading the source; faults set before apply from the first byte. */
  start(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'flowing';
    this.source.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.source.on('end', () => this.#onEnd());
    this.sink.on('drain', () => {
      this.#blocked = false;
      this.#pump();
    });
    this.#pump();
  }

  /** Holds everything back (`true`), or forwards it again, in order (`false`). */
  stall(stalled: boolean): void {
    this.#stalled = stalled;
    this.#pump();
  }

  /** Forwards each chunk `ms` after it was read, held ones included (at once if overdue). */
  setDelay(ms: number): void {
    this.#delay = ms;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pump();
  }

  /** Counts forwarded bytes against `budget` (one shared by both pipes for `both`). */
  arm(budget: ByteBudget | undefined): void {
    this.#budget = budget;
  }

  /** Forwards nothing more: drops what is held and stops reading (a frozen peer). */
  halt(): void {
    this.#stop('halted');
    if (!this.source.destroyed) this.source.pause();
  }

  /** Forwards nothing more but keeps reading and dropping, so that the source's close is seen. */
  discard(): void {
    this.#stop('discarding');
    if (!this.source.destroyed) this.source.resume();
  }

  /** The sink closed: what is held can no longer be delivered. */
  sinkClosed(): void {
    if (this.#state !== 'ended') this.#stop('halted');
  }

  /**
   * The source closed without the end of the connection being forwarded: queue its reset behind
   * what it sent before, so that it is forwarded after that data, as over a real network. Like a
   * real reset it is abortive: it is forwarded once it reaches the head of the queue, without
   * waiting for the sink to drain, so bytes already written to the sink but not yet read by its
   * peer (Node's write buffer, up to about {@link HIGH_WATER}, and the kernel's) may be dropped.
   * The peer still gets a prefix of what was sent, then the reset.
   */
  sourceClosed(): void {
    if (this.#state === 'flowing') {
      this.#queue.push({ kind: 'reset', at: Date.now() });
      this.#pump();
    } else if (this.#state === 'ended') {
      this.events.sourceReset();
    }
  }

  /** Drops what is held and clears the timers: the pipe is dead. */
  dispose(): void {
    this.#stop('halted');
  }

  #stop(state: 'halted' | 'discarding'): void {
    this.#state = state;
    this.#queue.length = 0;
    this.#queued = 0;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }

  #onData(chunk: Buffer): void {
    if (this.#state !== 'flowing') return;
    this.#queue.push({ kind: 'data', bytes: chunk, at: Date.now() });
    this.#queued += chunk.length;
    this.#pump();
  }

  #onEnd(): void {
    this.sourceEnded = true;
    if (this.#state !== 'flowing') return;
    this.#queue.push({ kind: 'end', at: Date.now() });
    this.#pump();
  }

  /** Whether the head of the queue may be processed now (its due time aside). */
  get #ready(): boolean {
    const head = this.#queue[0];
    if (head === undefined || this.#stalled) return false;
    if (this.#state !== 'flowing' && this.#state !== 'ended') return false;
    return head.kind !== 'data' || !this.#blocked;
  }

  /**
   * Forwards what is due. Re-chunked pipes write one piece per event-loop turn, from an
   * immediate, so that a receiver in the same process reads each piece before the next is sent.
   */
  #pump(): void {
    if (this.#timer === undefined && this.#immediate === undefined) {
      if (this.chunkSize === undefined) this.#forward(Number.POSITIVE_INFINITY);
      else if (this.#ready) {
        this.#immediate = setImmediate(() => {
          this.#immediate = undefined;
          this.#forward(1);
          this.#pump();
        }).unref();
      }
    }
    this.#updateReading();
  }

  /** Processes the queue in order until `pieces` writes were made or something holds it back. */
  #forward(pieces: number): void {
    let left = pieces;
    while (left > 0 && this.#ready) {
      const head = this.#queue[0];
      const wait = head.at + this.#delay - Date.now();
      if (wait > 0) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#pump();
        }, wait).unref();
        return;
      }
      if (head.kind === 'end') {
        this.#queue.shift();
        this.#state = 'ended';
        this.endWritten = true;
        this.sink.end();
      } else if (head.kind === 'reset') {
        this.#stop('halted');
        this.events.sourceReset();
        return;
      } else {
        if (this.#writeSome(head)) return;
        left--;
      }
    }
  }

  /** Writes the next piece of `head`; true when the pipe has stopped (budget spent, sink gone). */
  #writeSome(head: Held & { kind: 'data' }): boolean {
    const budget = this.#budget;
    if (!this.sink.writable || budget?.spent) {
      this.halt();
      return true;
    }
    let size = head.bytes.length;
    if (this.chunkSize !== undefined) size = Math.min(size, this.chunkSize);
    if (budget !== undefined) size = Math.min(size, budget.remaining);
    const piece = head.bytes.subarray(0, size);
    if (size === head.bytes.length) this.#queue.shift();
    else head.bytes = head.bytes.subarray(size);
    this.#queued -= size;
    if (budget !== undefined) budget.remaining -= size;
    if (!this.sink.write(piece)) this.#blocked = true;
    this.events.forwarded(this.direction, size);
    if (!budget?.spent) return false;
    this.halt();
    this.events.budgetSpent();
    return true;
  }

  #updateReading(): void {
    if (this.#state !== 'flowing' || this.source.destroyed) return;
    if (this.#blocked || this.#queued >= HIGH_WATER) this.source.pause();
    else this.source.resume();
  }
}
