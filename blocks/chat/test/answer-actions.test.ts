// @vitest-environment jsdom
import { afterEach, describe, expect, test, vi } from "vitest";
import { answerActions, COPIED_MS, copyText, type TextClipboard } from "../view/answer-actions";

function fakeClipboard(fails = false): TextClipboard & { written: string[] } {
  const written: string[] = [];
  return {
    written,
    async writeText(text: string) {
      if (fails) throw new DOMException("denied", "NotAllowedError");
      written.push(text);
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("answerActions", () => {
  test("Copy writes the Markdown source, reads Copied for a moment and says so", async () => {
    vi.useFakeTimers();
    const clipboard = fakeClipboard();
    const announce = vi.fn();
    const { element } = answerActions(document, {
      source: "**Bold** and `code`",
      announce,
      clipboard,
    });
    const copy = element.querySelector(".sluice-chat__copy") as HTMLButtonElement;
    expect(copy.type).toBe("button");
    copy.click();
    await vi.waitFor(() => expect(copy.textContent).toBe("Copied"));
    expect(clipboard.written).toEqual(["**Bold** and `code`"]);
    expect(announce).toHaveBeenCalledWith("Copied");
    vi.advanceTimersByTime(COPIED_MS);
    expect(copy.textContent).toBe("Copy");
  });

  test("a refused copy says it could not copy", async () => {
    const announce = vi.fn();
    const { element } = answerActions(document, {
      source: "text",
      announce,
      clipboard: fakeClipboard(true),
    });
    (element.querySelector(".sluice-chat__copy") as HTMLButtonElement).click();
    await vi.waitFor(() =>
      expect(announce).toHaveBeenCalledWith("The answer could not be copied."),
    );
  });

  test("Regenerate only when asked for, and removable; the cost only when given", () => {
    const onRegenerate = vi.fn();
    const newest = answerActions(document, {
      source: "a",
      announce: () => {},
      onRegenerate,
      costUsd: 0.00011,
    });
    const regenerate = newest.element.querySelector(
      ".sluice-chat__regenerate",
    ) as HTMLButtonElement;
    regenerate.click();
    expect(onRegenerate).toHaveBeenCalledTimes(1);
    expect(newest.element.querySelector(".sluice-chat__cost")?.textContent).toBe("Cost: $0.00011");
    newest.removeRegenerate();
    expect(newest.element.querySelector(".sluice-chat__regenerate")).toBeNull();

    const older = answerActions(document, { source: "b", announce: () => {} });
    expect(older.element.querySelector(".sluice-chat__regenerate")).toBeNull();
    expect(older.element.querySelector(".sluice-chat__cost")).toBeNull();
  });

  test("no Copy for an answer with no text", () => {
    const { element } = answerActions(document, { source: "", announce: () => {} });
    expect(element.querySelector(".sluice-chat__copy")).toBeNull();
  });
});

describe("copyText", () => {
  test("false without a clipboard", async () => {
    expect(await copyText("x", undefined)).toBe(false);
  });
});
