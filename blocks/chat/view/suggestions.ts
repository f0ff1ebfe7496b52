/**
 * Suggested first questions: the block's `suggestions` attribute holds one per line.
 * The editor's preview and the page read it the same way.
 */

export const MAX_SUGGESTIONS = 4;
export const MAX_SUGGESTION_CHARS = 200;

/** The questions to offer: non-empty lines, trimmed, without repeats, at most four. */
export function parseSuggestions(raw: unknown): string[] {
  if (typeof raw !== "string") return [];
  const questions: string[] = [];
  for (const line of raw.split(/\r?\n/)) {
    const question = line.trim().slice(0, MAX_SUGGESTION_CHARS);
    if (question && !questions.includes(question)) questions.push(question);
    if (questions.length === MAX_SUGGESTIONS) break;
  }
  return questions;
}
