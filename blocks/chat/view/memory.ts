import type { KeyValueStore } from "./buffering";
import type { Turn } from "./history";

/**
 * The conversation of one Chat block, kept in the browser (localStorage) so that it
 * survives a reload and a navigation. One key per site, post and block; the value is
 * `{"v":1,"savedAt":<ms>,"turns":[{"q","a","stopped"?,"cost"?}]}`, forgotten `days`
 * after it was last saved. Whatever is stored there is the visitor's to change: it is
 * read as untrusted (shape checked, lengths cut) and only decides what the page shows
 * and which messages it offers to send; the chat route's limits still apply.
 * A full, disabled or corrupt storage never breaks the chat: it only forgets.
 */

export const MEMORY_KEY_PREFIX = "sluice:conversation:v1:";
/** At most this many turns are kept (the oldest go first). */
export const MAX_STORED_TURNS = 50;
export const MAX_STORED_QUESTION_CHARS = 4000;
export const MAX_STORED_ANSWER_CHARS = 40_000;
export const MAX_MEMORY_DAYS = 365;
/** block.json's default for `memoryDays`, also for a page printed before the setting existed. */
export const DEFAULT_MEMORY_DAYS = 7;
const DAY_MS = 86_400_000;

export interface MemoryPlace {
  restUrl: string;
  postId: number;
  blockId: string;
}

export function memoryKey(place: MemoryPlace): string {
  return `${MEMORY_KEY_PREFIX}${place.restUrl}#${place.postId}:${place.blockId}`;
}

/** The block's memory length in whole days, 0 (off) to 365. */
export function memoryDays(value: unknown): number {
  const days = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(days) || days <= 0) return 0;
  return Math.min(Math.floor(days), MAX_MEMORY_DAYS);
}

interface StoredTurn {
  q: string;
  a: string;
  stopped?: true;
  cost?: number;
}

function readTurn(value: unknown): Turn | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { q, a, stopped, cost } = value as Record<string, unknown>;
  if (typeof q !== "string" || typeof a !== "string" || !q.trim()) return undefined;
  const turn: Turn = {
    question: q.slice(0, MAX_STORED_QUESTION_CHARS),
    answer: a.slice(0, MAX_STORED_ANSWER_CHARS),
  };
  if (stopped === true) turn.stopped = true;
  if (typeof cost === "number" && Number.isFinite(cost) && cost >= 0) turn.costUsd = cost;
  return turn;
}

function storedTurn(turn: Turn, keepCost: boolean): StoredTurn {
  const stored: StoredTurn = {
    q: turn.question.slice(0, MAX_STORED_QUESTION_CHARS),
    a: (turn.answer ?? "").slice(0, MAX_STORED_ANSWER_CHARS),
  };
  if (turn.stopped) stored.stopped = true;
  if (keepCost && turn.costUsd !== undefined) stored.cost = turn.costUsd;
  return stored;
}

export interface MemoryOptions {
  /** How long a conversation is kept after its last change; 0 keeps none. */
  days: number;
  /** Keep each answer's cost (only for a viewer who is shown it). */
  keepCost?: boolean;
  now?: () => number;
}

export class ConversationMemory {
  readonly #store: KeyValueStore | undefined;
  readonly #key: string;
  readonly #days: number;
  readonly #keepCost: boolean;
  readonly #now: () => number;

  constructor(store: KeyValueStore | undefined, place: MemoryPlace, options: MemoryOptions) {
    this.#store = store;
    this.#key = memoryKey(place);
    this.#days = memoryDays(options.days);
    this.#keepCost = options.keepCost ?? false;
    this.#now = options.now ?? Date.now;
  }

  /** The remembered turns, oldest first; none when expired, corrupt, off or unreadable. */
  load(): Turn[] {
    const raw = this.#read();
    if (raw === null) return [];
    if (this.#days === 0) {
      this.clear(); // the editor switched memory off since this was stored
      return [];
    }
    const turns = this.#parse(raw);
    if (!turns) this.clear();
    return turns ?? [];
  }

  /** Stores the turns; when the storage is full, the oldest are given up until they fit. */
  save(turns: readonly Turn[]): void {
    if (this.#days === 0 || !this.#store) return;
    if (turns.length === 0) {
      this.clear();
      return;
    }
    let kept = turns.slice(-MAX_STORED_TURNS).map((turn) => storedTurn(turn, this.#keepCost));
    while (kept.length > 0) {
      const value = JSON.stringify({ v: 1, savedAt: this.#now(), turns: kept });
      try {
        this.#store.setItem(this.#key, value);
        return;
      } catch {
        kept = kept.slice(Math.ceil(kept.length / 2));
      }
    }
    this.clear();
  }

  clear(): void {
    try {
      this.#store?.removeItem(this.#key);
    } catch {
      // Storage refused: nothing to forget that could be read back either.
    }
  }

  #read(): string | null {
    try {
      return this.#store?.getItem(this.#key) ?? null;
    } catch {
      return null;
    }
  }

  #parse(raw: string): Turn[] | undefined {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return undefined;
    }
    if (typeof value !== "object" || value === null) return undefined;
    const { v, savedAt, turns } = value as Record<string, unknown>;
    if (v !== 1 || typeof savedAt !== "number" || !Array.isArray(turns)) return undefined;
    const age = this.#now() - savedAt;
    if (!(age >= -DAY_MS && age <= this.#days * DAY_MS)) return undefined;
    const read = turns.slice(-MAX_STORED_TURNS).map(readTurn);
    if (read.some((turn) => turn === undefined)) return undefined;
    return read as Turn[];
  }
}
