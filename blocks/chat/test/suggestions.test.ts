import { describe, expect, test } from "vitest";
import { MAX_SUGGESTION_CHARS, parseSuggestions } from "../view/suggestions";

describe("parseSuggestions", () => {
  test("one question a line: trimmed, blank lines and repeats left out", () => {
    expect(parseSuggestions("  What is this?\r\n\nHow much?\nWhat is this?\n")).toEqual([
      "What is this?",
      "How much?",
    ]);
  });

  test("at most four, each cut to the limit", () => {
    const raw = ["a", "b", "c", "d", "e"].join("\n");
    expect(parseSuggestions(raw)).toEqual(["a", "b", "c", "d"]);
    expect(parseSuggestions("x".repeat(500))[0]).toHaveLength(MAX_SUGGESTION_CHARS);
  });

  test("render.php's list reads the same, its non-text items left out", () => {
    expect(parseSuggestions([" a ", 3, "", "b", "a", null])).toEqual(["a", "b"]);
  });

  test("anything but text or a list is none", () => {
    expect(parseSuggestions(undefined)).toEqual([]);
    expect(parseSuggestions({ 0: "a" })).toEqual([]);
    expect(parseSuggestions("")).toEqual([]);
  });
});
