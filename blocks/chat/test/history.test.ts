import { describe, expect, test } from "vitest";
import {
  buildHistory,
  type HistoryMessage,
  narrowedLimits,
  planHistory,
  trimHistory,
} from "../view/history";

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

describe("planHistory", () => {
  test("says when older messages were dropped to fit", () => {
    const few = [{ question: "q", answer: "a" }];
    expect(planHistory(few, "now", limits).trimmed).toBe(false);
    const many = Array.from({ length: 30 }, (_, i) => ({ question: `q${i}`, answer: `a${i}` }));
    const plan = planHistory(many, "now", limits);
    expect(plan.trimmed).toBe(true);
    expect(plan.messages[0]).toEqual({ role: "user", content: "q21" });
  });

  test("says so too when an earlier message was cut to the per-message limit", () => {
    const plan = planHistory([{ question: "essay", answer: "x".repeat(4001) }], "more", limits);
    expect(plan.messages).toHaveLength(3);
    expect(plan.trimmed).toBe(true);
  });

  test("a failed turn (no answer) is not trimming", () => {
    expect(planHistory([{ question: "q" }], "now", limits)).toEqual({
      messages: [
        { role: "user", content: "q" },
        { role: "user", content: "now" },
      ],
      trimmed: false,
    });
  });
});

describe("narrowedLimits", () => {
  test("half the characters that were sent, so a resend drops the oldest and keeps the question", () => {
    const turns = Array.from({ length: 4 }, (_, i) => ({
      question: `q${i}`,
      answer: "z".repeat(1000),
    }));
    const sent = buildHistory(turns, "again", limits);
    const narrowed = narrowedLimits(sent, limits);
    const total = sent.reduce((sum, message) => sum + message.content.length, 0);
    expect(narrowed).toEqual({ ...limits, maxTotalChars: Math.floor(total / 2) });
    const resent = buildHistory(turns, "again", narrowed);
    expect(resent.length).toBeLessThan(sent.length);
    expect(resent[0]?.role).toBe("user");
    expect(resent.at(-1)).toEqual({ role: "user", content: "again" });
    expect(
      buildHistory(turns, "again", narrowedLimits([sent.at(-1) as HistoryMessage], limits)),
    ).toEqual([{ role: "user", content: "again" }]);
  });
});
