import { ATTRIBUTE_DEFAULTS } from "../attributes";

/**
 * What the sidebar's number fields may store: whole numbers in the ranges render.php
 * and the chat route read them in (render.php clamps memoryDays to 0–365 the same way,
 * dropping a fraction as its (int) does).
 */

export const MAX_MEMORY_DAYS = 365;

/** A typed or dragged value as a number, or undefined when it is none (an empty field). */
function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.trim() !== "") {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** Days the conversation is kept in the browser: a whole number 0–365; an empty field is the default. */
export function clampMemoryDays(value: unknown): number {
  const days = toNumber(value);
  if (days === undefined) return ATTRIBUTE_DEFAULTS.memoryDays;
  return Math.min(MAX_MEMORY_DAYS, Math.max(0, Math.floor(days)));
}

/** Questions the block answers a site day: a whole number ≥ 0; an empty field is 0 (no cap). */
export function clampDailyQuestions(value: unknown): number {
  const questions = toNumber(value);
  if (questions === undefined) return ATTRIBUTE_DEFAULTS.dailyQuestions;
  return Math.max(0, Math.floor(questions));
}
