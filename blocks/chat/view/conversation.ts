import { type HistoryLimits, type HistoryPlan, planHistory, type Turn } from "./history";

/**
 * The turns of one block's conversation, as shown: what is remembered across page
 * loads, what the next question's history is built from, and what Regenerate replaces.
 */
export class Conversation {
  readonly #turns: Turn[];

  constructor(turns: readonly Turn[] = []) {
    this.#turns = [...turns];
  }

  get turns(): readonly Turn[] {
    return this.#turns;
  }

  get isEmpty(): boolean {
    return this.#turns.length === 0;
  }

  /** The messages for `question`, asked after every turn so far. */
  plan(question: string, limits?: HistoryLimits): HistoryPlan {
    return planHistory(this.#turns, question, limits);
  }

  /** A question that was answered (completely, or until Stop). */
  record(turn: Turn): void {
    this.#turns.push(turn);
  }

  /**
   * Regenerate: takes the last turn out so that its question can be asked again after
   * the turns before it; the new answer is recorded in its place. Undefined when empty.
   */
  takeLast(): Turn | undefined {
    return this.#turns.pop();
  }

  clear(): void {
    this.#turns.length = 0;
  }
}
