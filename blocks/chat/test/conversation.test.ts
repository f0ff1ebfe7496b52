import { describe, expect, test } from "vitest";
import { Conversation } from "../view/conversation";

describe("Conversation", () => {
  test("plans each question after the turns so far", () => {
    const conversation = new Conversation([{ question: "Hi", answer: "Hello!" }]);
    conversation.record({ question: "And?", answer: "More." });
    expect(conversation.plan("Last?")).toEqual({
      messages: [
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello!" },
        { role: "user", content: "And?" },
        { role: "assistant", content: "More." },
        { role: "user", content: "Last?" },
      ],
      trimmed: false,
    });
  });

  test("takeLast gives the newest turn back, so that its question is asked after the turns before it", () => {
    const conversation = new Conversation([
      { question: "One", answer: "1" },
      { question: "Two", answer: "2" },
    ]);
    const last = conversation.takeLast();
    expect(last).toEqual({ question: "Two", answer: "2" });
    expect(conversation.plan(last?.question ?? "").messages).toEqual([
      { role: "user", content: "One" },
      { role: "assistant", content: "1" },
      { role: "user", content: "Two" },
    ]);
    expect(conversation.turns).toHaveLength(1);
  });

  test("clear empties it; takeLast of an empty one is undefined", () => {
    const conversation = new Conversation([{ question: "One", answer: "1" }]);
    expect(conversation.isEmpty).toBe(false);
    conversation.clear();
    expect(conversation.isEmpty).toBe(true);
    expect(conversation.takeLast()).toBeUndefined();
  });

  test("does not share the list it was given", () => {
    const given = [{ question: "One", answer: "1" }];
    const conversation = new Conversation(given);
    conversation.record({ question: "Two", answer: "2" });
    expect(given).toHaveLength(1);
  });
});
