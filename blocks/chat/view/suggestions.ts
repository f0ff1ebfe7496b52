/**
 * Suggested first questions: the block's `suggestions` attribute holds one per line;
 * render.php prints them as a list (`texts.suggestions`). The editor's preview (the
 * attribute) and the page (the list) read them the same way.
 */

export const MAX_SUGGESTIONS = 4;
export const MAX_SUGGESTION_CHARS = 200;

/** The questions to offer: non-empty lines (or list items), trimmed, without repeats, at most four. */
export function parseSuggestions(raw: unknown): string[] {
  const lines =
    typeof raw === "string"
      ? raw.split(/\r\n|\r|\n/)
      : Array.isArray(raw)
        ? raw.filter((item): item is string => typeof item === "string")
        : [];
  const questions: string[] = [];
  for (const line of lines) {
    const question = line.trim().slice(0, MAX_SUGGESTION_CHARS);
    if (question && !questions.includes(question)) questions.push(question);
    if (questions.length === MAX_SUGGESTIONS) break;
  }
  return questions;
}
