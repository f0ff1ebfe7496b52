/**
 * The messages sent with each question, kept within the REST route's limits
 * (docs/wordpress-contract.md: 1–50 messages, roles user/assistant, the last one from the
 * user, each ≤ 4,000 characters, ≤ 20,000 in all).
 */

export interface HistoryMessage {
  role: "user" | "assistant";
  content: string;
}

export interface HistoryLimits {
  maxMessages: number;
  maxMessageChars: number;
  maxTotalChars: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = {
  maxMessages: 20,
  maxMessageChars: 4000,
  maxTotalChars: 20_000,
};

/** One exchange of the conversation: a question and what was shown as its answer. */
export interface Turn {
  question: string;
  /** The answer text shown (its Markdown source), complete or stopped; empty or absent when it failed. */
  answer?: string;
  /** The visitor pressed Stop before the answer was complete. */
  stopped?: boolean;
  /** What the answer cost (usage_final.cost_usd); kept only for viewers who may see it. */
  costUsd?: number;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max);
}

/** The messages for a question, and whether older ones were left out or cut to fit. */
export interface HistoryPlan {
  messages: HistoryMessage[];
  /** Earlier messages dropped whole (oldest first) or cut to the per-message limit. */
  trimmed: boolean;
}

/**
 * The messages for a new question: the earlier turns (question, then answer when there
 * was one) and the question last, newest kept first within the limits. The question
 * itself is always sent (clipped to the per-message limit); older messages are dropped
 * whole, and the list never starts with an assistant message.
 */
export function planHistory(
  earlier: readonly Turn[],
  question: string,
  limits: HistoryLimits = DEFAULT_HISTORY_LIMITS,
): HistoryPlan {
  const all: HistoryMessage[] = [];
  let clipped = false;
  const add = (role: HistoryMessage["role"], text: string) => {
    if (text.length > limits.maxMessageChars) clipped = true;
    all.push({ role, content: clip(text, limits.maxMessageChars) });
  };
  for (const turn of earlier) {
    const asked = turn.question.trim();
    if (!asked) continue;
    add("user", asked);
    const answered = turn.answer?.trim();
    if (answered) add("assistant", answered);
  }
  const last: HistoryMessage = { role: "user", content: clip(question, limits.maxMessageChars) };
  const messages = trimHistory([...all, last], limits);
  return { messages, trimmed: clipped || messages.length < all.length + 1 };
}

/** planHistory's messages alone. */
export function buildHistory(
  earlier: readonly Turn[],
  question: string,
  limits: HistoryLimits = DEFAULT_HISTORY_LIMITS,
): HistoryMessage[] {
  return planHistory(earlier, question, limits).messages;
}

/**
 * Limits for a resend after the model refused the conversation as too long for its
 * window: half the characters that were sent (at least the question alone).
 */
export function narrowedLimits(
  sent: readonly HistoryMessage[],
  limits: HistoryLimits,
): HistoryLimits {
  const chars = sent.reduce((sum, message) => sum + message.content.length, 0);
  return { ...limits, maxTotalChars: Math.min(limits.maxTotalChars, Math.floor(chars / 2)) };
}

/**
 * Keeps the newest messages that fit: at most `maxMessages`, at most `maxTotalChars` in
 * all, starting with a user message. The last message is always kept.
 */
export function trimHistory(
  messages: readonly HistoryMessage[],
  limits: HistoryLimits = DEFAULT_HISTORY_LIMITS,
): HistoryMessage[] {
  const kept: HistoryMessage[] = [];
  let total = 0;
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index];
    if (!message) continue;
    const isLast = kept.length === 0;
    if (!isLast && kept.length >= limits.maxMessages) break;
    if (!isLast && total + message.content.length > limits.maxTotalChars) break;
    kept.unshift(message);
    total += message.content.length;
  }
  while (kept.length > 1 && kept[0]?.role === "assistant") kept.shift();
  return kept;
}
