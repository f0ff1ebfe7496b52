// @vitest-environment jsdom
import { createElement, renderToString } from "@wordpress/element";
import { describe, expect, test } from "vitest";
import { ATTRIBUTE_DEFAULTS, type ChatAttributes } from "../attributes";
import { ChatPreview } from "../editor/preview";
import { clampDailyQuestions, clampMemoryDays, MAX_MEMORY_DAYS } from "../editor/settings";
import { suggestionButtons } from "../view/conversation-controls";
import { parseSuggestions } from "../view/suggestions";

describe("memoryDays from the sidebar", () => {
  test("whole days from 0 to 365, like render.php's clamp", () => {
    expect(clampMemoryDays(30)).toBe(30);
    expect(clampMemoryDays(0)).toBe(0);
    expect(clampMemoryDays(-4)).toBe(0);
    expect(clampMemoryDays(400)).toBe(MAX_MEMORY_DAYS);
    expect(clampMemoryDays(7.9)).toBe(7);
    expect(clampMemoryDays("12")).toBe(12);
  });

  test("an emptied field is the block's default, not 0", () => {
    expect(ATTRIBUTE_DEFAULTS.memoryDays).toBe(7);
    expect(clampMemoryDays(undefined)).toBe(7);
    expect(clampMemoryDays("")).toBe(7);
    expect(clampMemoryDays(Number.NaN)).toBe(7);
  });
});

describe("dailyQuestions from the sidebar", () => {
  test("a whole number, never below 0", () => {
    expect(clampDailyQuestions(250)).toBe(250);
    expect(clampDailyQuestions("40")).toBe(40);
    expect(clampDailyQuestions("3.7")).toBe(3);
    expect(clampDailyQuestions(-1)).toBe(0);
    expect(clampDailyQuestions(1e6)).toBe(1_000_000);
  });

  test("an emptied or unreadable field is 0: no cap", () => {
    expect(clampDailyQuestions("")).toBe(0);
    expect(clampDailyQuestions("many")).toBe(0);
    expect(clampDailyQuestions(undefined)).toBe(0);
    expect(clampDailyQuestions(Number.POSITIVE_INFINITY)).toBe(0);
  });
});

/** The editor's preview of a block with these attributes, as a DOM tree. */
function preview(changes: Partial<ChatAttributes>): HTMLElement {
  const container = document.createElement("div");
  container.innerHTML = renderToString(
    createElement(ChatPreview, { attributes: { ...ATTRIBUTE_DEFAULTS, ...changes } }),
  );
  return container;
}

describe("the preview's suggested questions", () => {
  const text =
    "  What is Sluice?\n\nHow much does it cost?\r\nWhat is Sluice?\nCan I try it?\nA\nB";

  test("are the page's parse of the same text, as the page's buttons", () => {
    const root = preview({ suggestions: text });
    const chips = [...root.querySelectorAll<HTMLButtonElement>(".sluice-chat__suggestion")];
    expect(chips.map((chip) => chip.textContent)).toEqual(parseSuggestions(text));
    expect(chips.map((chip) => chip.textContent)).toEqual([
      "What is Sluice?",
      "How much does it cost?",
      "Can I try it?",
      "A",
    ]);

    const page = suggestionButtons(document, parseSuggestions(text), () => {});
    const group = root.querySelector(".sluice-chat__suggestions");
    expect(group?.getAttribute("role")).toBe(page?.getAttribute("role"));
    expect(group?.getAttribute("aria-label")).toBe(page?.getAttribute("aria-label"));
    expect(chips.map((chip) => chip.className)).toEqual(
      [...(page?.children ?? [])].map((chip) => chip.className),
    );
  });

  test("sit between the conversation and the message field, as on the page", () => {
    const root = preview({ suggestions: "Hello?" });
    const group = root.querySelector(".sluice-chat__suggestions");
    expect(group?.previousElementSibling?.className).toBe("sluice-chat__log");
    expect(group?.nextElementSibling?.className).toBe("sluice-chat__form");
  });

  test("are inert: out of the tab order, disabled for assistive technology, never submitting", () => {
    const chips = preview({ suggestions: "One?\nTwo?" }).querySelectorAll(
      ".sluice-chat__suggestion",
    );
    expect(chips).toHaveLength(2);
    for (const chip of chips) {
      expect(chip.getAttribute("tabindex")).toBe("-1");
      expect(chip.getAttribute("aria-disabled")).toBe("true");
      expect(chip.getAttribute("type")).toBe("button");
    }
  });

  test("are not there when the text has no question", () => {
    expect(preview({ suggestions: "" }).querySelector(".sluice-chat__suggestions")).toBeNull();
    expect(preview({ suggestions: " \n\n " }).querySelector(".sluice-chat__suggestion")).toBeNull();
  });
});
