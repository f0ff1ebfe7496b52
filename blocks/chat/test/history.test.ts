import { describe, expect, test } from "vitest";
import { buildHistory, type HistoryMessage, trimHistory } from "../view/history";

const limits = { maxMessages: 20, maxMessageChars: 4000, maxTotalChars: 20_000 };

describe("buildHistory", () => {
  test("alternates questions and answers and ends with the new question", () => {
    expect(
      buildHistory(
        [
          { question: "Hi", answer: "Hello!" },
          { question: "And?", answer: "" },
        ],
        "Last?",
      ),
    ).toEqual([
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello!" },
      { role: "user", content: "And?" },
      { role: "user", content: "Last?" },
    ]);
  });

  test("keeps only the newest 20 messages, starting with a question", () => {
    const turns = Array.from({ length: 30 }, (_, i) => ({ question: `q${i}`, answer: `a${i}` }));
    const history = buildHistory(turns, "now", limits);
    expect(history).toHaveLength(19);
    expect(history[0]).toEqual({ role: "user", content: "q21" });
    expect(history.at(-1)).toEqual({ role: "user", content: "now" });
  });

  test("clips a very long answer to the per-message limit", () => {
    const history = buildHistory([{ question: "essay", answer: "x".repeat(9000) }], "more");
    expect(history[1]?.content).toHaveLength(4000);
  });

  test("stays within the total character limit, dropping the oldest", () => {
    const turns = Array.from({ length: 8 }, (_, i) => ({
      question: `q${i}`,
      answer: "y".repeat(3990),
    }));
    const history = buildHistory(turns, "short");
    const total = history.reduce((sum, message) => sum + message.content.length, 0);
    expect(total).toBeLessThanOrEqual(20_000);
    expect(history[0]?.role).toBe("user");
    expect(history.at(-1)?.content).toBe("short");
  });
});

describe("trimHistory", () => {
  test("always keeps the last message, even alone", () => {
    const messages: HistoryMessage[] = [
      { role: "user", content: "a".repeat(100) },
      { role: "user", content: "b".repeat(50) },
    ];
    expect(
      trimHistory(messages, { maxMessages: 1, maxMessageChars: 100, maxTotalChars: 60 }),
    ).toEqual([messages[1]]);
  });

  test("never starts with an assistant message", () => {
    const messages: HistoryMessage[] = [
      { role: "user", content: "q1" },
      { role: "assistant", content: "a1" },
      { role: "user", content: "q2" },
    ];
    expect(trimHistory(messages, { ...limits, maxMessages: 2 })).toEqual([
      { role: "user", content: "q2" },
    ]);
  });
});
