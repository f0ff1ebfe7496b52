// @vitest-environment jsdom
import { describe, expect, test } from "vitest";
import { StreamingAnswer } from "../view/streaming-answer";

/** A frame scheduler the test runs by hand. */
function manualFrames() {
  let queued: (() => void)[] = [];
  return {
    schedule: (callback: () => void) => {
      queued.push(callback);
    },
    get pending() {
      return queued.length;
    },
    run() {
      const callbacks = queued;
      queued = [];
      for (const callback of callbacks) callback();
    },
  };
}

describe("StreamingAnswer", () => {
  test("batches thousands of deltas into one DOM write per frame", () => {
    const bubble = document.createElement("div");
    const frames = manualFrames();
    let writes = 0;
    const answer = new StreamingAnswer(bubble, {
      schedule: frames.schedule,
      afterWrite: () => writes++,
    });
    for (let index = 0; index < 5000; index++) answer.append("word ");
    expect(frames.pending).toBe(1);
    expect(bubble.textContent).toBe("");
    frames.run();
    expect(writes).toBe(1);
    expect(bubble.textContent).toBe("word ".repeat(5000));
  });

  test("grows one text node while a paragraph is unfinished, and leaves earlier nodes alone", () => {
    const bubble = document.createElement("div");
    const frames = manualFrames();
    const answer = new StreamingAnswer(bubble, { schedule: frames.schedule });
    answer.append("First paragraph.\n\nSecond");
    frames.run();
    const first = bubble.querySelector("p:not(.sluice-chat__tail)");
    const tail = bubble.querySelector(".sluice-chat__tail")?.firstChild;
    expect(first?.textContent).toBe("First paragraph.");
    expect(tail?.textContent).toBe("Second");
    answer.append(" paragraph");
    frames.run();
    expect(bubble.querySelector(".sluice-chat__tail")?.firstChild).toBe(tail); // same node, appended to
    expect(bubble.querySelector("p:not(.sluice-chat__tail)")).toBe(first); // untouched
    expect(tail?.textContent).toBe("Second paragraph");
  });

  test("finish formats the rest and removes the streaming node", () => {
    const bubble = document.createElement("div");
    const frames = manualFrames();
    const answer = new StreamingAnswer(bubble, { schedule: frames.schedule });
    answer.append("Steps:\n\n- one\n- <b>two</b>");
    answer.finish();
    expect(bubble.querySelector(".sluice-chat__tail")).toBeNull();
    expect([...bubble.querySelectorAll("li")].map((item) => item.textContent)).toEqual([
      "one",
      "<b>two</b>",
    ]);
    expect(bubble.querySelector("b")).toBeNull();
    answer.append("ignored after finish");
    frames.run();
    expect(answer.text).toBe("Steps:\n\n- one\n- <b>two</b>");
  });

  test("an empty answer leaves the bubble empty", () => {
    const bubble = document.createElement("div");
    const answer = new StreamingAnswer(bubble, { schedule: () => {} });
    answer.finish();
    expect(bubble.childNodes).toHaveLength(0);
  });
});
