import { describe, expect, test } from "vitest";
import type { KeyValueStore } from "../view/buffering";
import type { Turn } from "../view/history";
import {
  ConversationMemory,
  MAX_STORED_ANSWER_CHARS,
  MAX_STORED_TURNS,
  memoryDays,
  memoryKey,
} from "../view/memory";

const DAY_MS = 86_400_000;
const place = { restUrl: "https://example.com/wp-json/sluice/v1/chat", postId: 7, blockId: "blk1" };

/** localStorage's behaviour, with an optional quota (in characters of stored values). */
class FakeStorage implements KeyValueStore {
  readonly items = new Map<string, string>();
  writes = 0;

  constructor(readonly quota = Number.POSITIVE_INFINITY) {}

  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    this.writes++;
    if (value.length > this.quota) throw new DOMException("full", "QuotaExceededError");
    this.items.set(key, value);
  }

  removeItem(key: string): void {
    this.items.delete(key);
  }
}

const turns: Turn[] = [
  { question: "What is Sluice?", answer: "A **chat** block." },
  { question: "Stop early", answer: "Part", stopped: true, costUsd: 0.00012 },
];

function memory(store: KeyValueStore | undefined, now: () => number, days = 7, keepCost = true) {
  return new ConversationMemory(store, place, { days, keepCost, now });
}

describe("ConversationMemory", () => {
  test("round-trips the turns under one key per site, post and block", () => {
    const store = new FakeStorage();
    memory(store, () => 1_000).save(turns);
    expect([...store.items.keys()]).toEqual([memoryKey(place)]);
    expect(memory(store, () => 2_000).load()).toEqual(turns);
    const otherBlock = new ConversationMemory(store, { ...place, blockId: "blk2" }, { days: 7 });
    expect(otherBlock.load()).toEqual([]);
    const otherPost = new ConversationMemory(store, { ...place, postId: 8 }, { days: 7 });
    expect(otherPost.load()).toEqual([]);
  });

  test("keeps the cost only when asked to", () => {
    const store = new FakeStorage();
    memory(store, () => 0, 7, false).save(turns);
    expect(memory(store, () => 0).load()[1]).toEqual({
      question: "Stop early",
      answer: "Part",
      stopped: true,
    });
  });

  test("forgets a conversation older than its days, and removes it", () => {
    const store = new FakeStorage();
    memory(store, () => 0, 2).save(turns);
    expect(memory(store, () => 2 * DAY_MS - 1, 2).load()).toHaveLength(2);
    expect(memory(store, () => 2 * DAY_MS + 1, 2).load()).toEqual([]);
    expect(store.items.size).toBe(0);
  });

  test("0 days keeps nothing and forgets what an earlier setting kept", () => {
    const store = new FakeStorage();
    memory(store, () => 0, 7).save(turns);
    const off = memory(store, () => 0, 0);
    off.save(turns);
    expect(off.load()).toEqual([]);
    expect(store.items.size).toBe(0);
  });

  test.each([
    ["not JSON", "{not json"],
    ["another version", JSON.stringify({ v: 2, savedAt: 0, turns: [] })],
    ["turns not a list", JSON.stringify({ v: 1, savedAt: 0, turns: "x" })],
    ["a turn without its question", JSON.stringify({ v: 1, savedAt: 0, turns: [{ a: "x" }] })],
    ["a number as answer", JSON.stringify({ v: 1, savedAt: 0, turns: [{ q: "x", a: 1 }] })],
    ["a time in the future", JSON.stringify({ v: 1, savedAt: 10 * DAY_MS, turns: [] })],
  ])("corrupt storage (%s) is forgotten, never thrown", (_, raw) => {
    const store = new FakeStorage();
    store.items.set(memoryKey(place), raw);
    expect(memory(store, () => 0).load()).toEqual([]);
    expect(store.items.has(memoryKey(place))).toBe(false);
  });

  test("cuts what it reads to the stored limits and ignores a bad cost", () => {
    const store = new FakeStorage();
    const stored = Array.from({ length: MAX_STORED_TURNS + 5 }, (_, i) => ({
      q: `q${i}`,
      a: i === MAX_STORED_TURNS + 4 ? "x".repeat(MAX_STORED_ANSWER_CHARS + 10) : `a${i}`,
      cost: -1,
    }));
    store.items.set(memoryKey(place), JSON.stringify({ v: 1, savedAt: 0, turns: stored }));
    const loaded = memory(store, () => 0).load();
    expect(loaded).toHaveLength(MAX_STORED_TURNS);
    expect(loaded[0]?.question).toBe("q5");
    expect(loaded.at(-1)?.answer).toHaveLength(MAX_STORED_ANSWER_CHARS);
    expect(loaded.some((turn) => "costUsd" in turn)).toBe(false);
  });

  test("a full storage gives up the oldest turns until the rest fit", () => {
    const long = Array.from({ length: 8 }, (_, i) => ({
      question: `q${i}`,
      answer: "y".repeat(200),
    }));
    const store = new FakeStorage(700);
    memory(store, () => 0).save(long);
    const kept = memory(store, () => 0).load();
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(8);
    expect(kept.at(-1)?.question).toBe("q7");
    expect(store.writes).toBeGreaterThan(1);
  });

  test("a storage that refuses everything only forgets", () => {
    const refusing: KeyValueStore = {
      getItem: () => {
        throw new DOMException("denied", "SecurityError");
      },
      setItem: () => {
        throw new DOMException("denied", "SecurityError");
      },
      removeItem: () => {
        throw new DOMException("denied", "SecurityError");
      },
    };
    const refused = memory(refusing, () => 0);
    expect(() => refused.save(turns)).not.toThrow();
    expect(refused.load()).toEqual([]);
    expect(() => refused.clear()).not.toThrow();
    expect(memory(undefined, () => 0).load()).toEqual([]);
  });

  test("clear forgets the conversation; saving none clears too", () => {
    const store = new FakeStorage();
    const kept = memory(store, () => 0);
    kept.save(turns);
    kept.clear();
    expect(kept.load()).toEqual([]);
    kept.save(turns);
    kept.save([]);
    expect(store.items.size).toBe(0);
  });
});

describe("memoryDays", () => {
  test("whole days from 0 to 365; anything else is off", () => {
    expect(memoryDays(7)).toBe(7);
    expect(memoryDays(2.9)).toBe(2);
    expect(memoryDays("30")).toBe(30);
    expect(memoryDays(10_000)).toBe(365);
    expect(memoryDays(-1)).toBe(0);
    expect(memoryDays("soon")).toBe(0);
    expect(memoryDays(null)).toBe(0);
  });
});
