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
  /** The answer text shown, complete or stopped; empty or absent when it failed. */
  answer?: string;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max);
}

/**
 * The messages for a new question: the earlier turns (question, then answer when there
 * was one) and the question last, newest kept first within the limits. The question
 * itself is always sent (clipped to the per-message limit); older messages are dropped
 * whole, and the list never starts with an assistant message.
 */
export function buildHistory(
  earlier: readonly Turn[],
  question: string,
  limits: HistoryLimits = DEFAULT_HISTORY_LIMITS,
): HistoryMessage[] {
  const all: HistoryMessage[] = [];
  for (const turn of earlier) {
    const asked = turn.question.trim();
    if (!asked) continue;
    all.push({ role: "user", content: clip(asked, limits.maxMessageChars) });
    const answered = turn.answer?.trim();
    if (answered) all.push({ role: "assistant", content: clip(answered, limits.maxMessageChars) });
  }
  const last: HistoryMessage = { role: "user", content: clip(question, limits.maxMessageChars) };
  return trimHistory([...all, last], limits);
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
