export interface ChannelSource {
  /** Stop producing: the consumer is `highWater` items behind. */
  pause(): void;
  /** Produce again: the consumer caught up. */
  resume(): void;
  /** The consumer left early: release the source. */
  cancel(): void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * Bridges a push source (socket callbacks) to one `for await` consumer, with
 * one promise per item and none of the layers of async generators. Items
 * pushed while the consumer is busy wait in order; past `highWater` waiting
 * items the source is paused until they are taken, so a slow consumer
 * stalls the producer instead of growing memory. A failure is delivered
 * after the items pushed before it.
 */
export class Channel<T> implements AsyncIterableIterator<T> {
  readonly #source: ChannelSource;
  readonly #highWater: number;
  #items: T[] = [];
  #head = 0;
  #paused = false;
  #ended = false;
  #failure: { error: unknown } | undefined;
  #waiting:
    | { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void }
    | undefined;

  constructor(source: ChannelSource, highWater = 64) {
    this.#source = source;
    this.#highWater = highWater;
  }

  /** True once the channel was ended, failed or left: pushes are dropped. */
  get closed(): boolean {
    return this.#ended || this.#failure !== undefined;
  }

  push(item: T): void {
    if (this.closed) return;
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      waiting.resolve({ done: false, value: item });
      return;
    }
    this.#items.push(item);
    if (!this.#paused && this.#items.length - this.#head >= this.#highWater) {
      this.#paused = true;
      this.#source.pause();
    }
  }

  /** No more items: the consumer gets the waiting ones, then the end. */
  end(): void {
    if (this.closed) return;
    this.#ended = true;
    this.#settleWaiting();
  }

  /** The consumer gets the waiting items, then `error`. */
  fail(error: unknown): void {
    if (this.closed) return;
    this.#failure = { error };
    this.#settleWaiting();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#items.length) {
      const item = this.#items[this.#head] as T;
      this.#head += 1;
      if (this.#head === this.#items.length) {
        this.#items = [];
        this.#head = 0;
        if (this.#paused && !this.closed) {
          this.#paused = false;
          this.#source.resume();
        }
      }
      return Promise.resolve({ done: false, value: item });
    }
    if (this.#failure) return Promise.reject(this.#failure.error);
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
  }

  /** The consumer left (`break`, a throw in its loop): the source is released. */
  return(): Promise<IteratorResult<T>> {
    const wasOpen = !this.closed;
    this.#ended = true;
    this.#items = [];
    this.#head = 0;
    this.#settleWaiting();
    if (wasOpen) this.#source.cancel();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #settleWaiting(): void {
    const waiting = this.#waiting;
    if (!waiting) return;
    this.#waiting = undefined;
    if (this.#failure) waiting.reject(this.#failure.error);
    else waiting.resolve(DONE);
  }
}
