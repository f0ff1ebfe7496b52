/**
 * Detecting a host that buffers the stream (the whole answer arrives in one piece at the
 * end), and remembering it per site so later questions ask for buffered answers.
 */

/** One network read of a streamed answer. */
export interface ReadRecord {
  /** When the read completed, in ms on any monotonic clock. */
  atMs: number;
  /** Content deltas completed by this read. */
  contentDeltas: number;
}

/** The gateway's own timing of the answer, from `usage_final`. */
export interface SourceTiming {
  latency_ms?: number;
  ttfc_ms?: number | null;
}

/** The gateway must have spent at least this long sending content for a verdict. */
export const MIN_SOURCE_SPREAD_MS = 300;
/** Content that reaches the browser in less than this share of that time came in one piece. */
const ARRIVAL_SHARE = 0.1;
/** Reads this close together count as one piece, whatever the source spread. */
const BURST_MS = 50;

/**
 * True when the answer had several deltas that the gateway sent over a noticeable time
 * (latency_ms − ttfc_ms) but the browser received them all at once. A short or fast
 * answer gives no verdict (false): only clear evidence switches a site to buffered.
 */
export function looksBuffered(
  reads: readonly ReadRecord[],
  timing: SourceTiming | undefined,
): boolean {
  const contentReads = reads.filter((read) => read.contentDeltas > 0);
  const deltas = contentReads.reduce((sum, read) => sum + read.contentDeltas, 0);
  const first = contentReads[0];
  const last = reads[reads.length - 1];
  if (deltas < 2 || !first || !last) return false;
  if (typeof timing?.latency_ms !== "number" || typeof timing.ttfc_ms !== "number") return false;
  const sourceSpread = timing.latency_ms - timing.ttfc_ms;
  if (sourceSpread < MIN_SOURCE_SPREAD_MS) return false;
  const arrivalSpread = last.atMs - first.atMs;
  return arrivalSpread <= Math.max(BURST_MS, sourceSpread * ARRIVAL_SHARE);
}

/** Collects read records while a stream is read. */
export class ReadLog {
  readonly reads: ReadRecord[] = [];

  record(atMs: number, contentDeltas: number): void {
    this.reads.push({ atMs, contentDeltas });
  }
}

/** The subset of Storage this module needs (window.localStorage in the browser). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** How long a buffered verdict holds before the block tries streaming again (the host may be fixed). */
export const BUFFERED_MEMORY_MS = 7 * 24 * 60 * 60 * 1000;

const KEY_PREFIX = "sluice:buffered-host:";

/** The storage key of one site: its chat route URL (one origin may hold several sites). */
export function bufferedHostKey(restUrl: string): string {
  return KEY_PREFIX + restUrl;
}

/**
 * Remembers, per site, that its host buffers streams. Storage may be missing or refuse
 * writes (private mode, disabled storage): then the memory lasts for the page only.
 */
export class BufferedHostMemory {
  readonly #store: KeyValueStore | undefined;
  readonly #key: string;
  readonly #now: () => number;
  #pageVerdict = false;

  constructor(store: KeyValueStore | undefined, restUrl: string, now: () => number = Date.now) {
    this.#store = store;
    this.#key = bufferedHostKey(restUrl);
    this.#now = now;
  }

  isBuffered(): boolean {
    if (this.#pageVerdict) return true;
    const raw = this.#read();
    if (raw === null) return false;
    const since = Number(raw);
    if (!Number.isFinite(since) || this.#now() - since > BUFFERED_MEMORY_MS) {
      this.#remove();
      return false;
    }
    return true;
  }

  remember(): void {
    this.#pageVerdict = true;
    try {
      this.#store?.setItem(this.#key, String(this.#now()));
    } catch {
      // Storage full or refused: the page-long verdict still holds.
    }
  }

  #read(): string | null {
    try {
      return this.#store?.getItem(this.#key) ?? null;
    } catch {
      return null;
    }
  }

  #remove(): void {
    try {
      this.#store?.removeItem(this.#key);
    } catch {
      // Nothing to clean up.
    }
  }
}
