import { describe, expect, test } from "vitest";
import {
  BUFFERED_MEMORY_MS,
  BufferedHostMemory,
  bufferedHostKey,
  type KeyValueStore,
  looksBuffered,
  type ReadRecord,
} from "../view/buffering";

const reads = (...records: [number, number][]): ReadRecord[] =>
  records.map(([atMs, contentDeltas]) => ({ atMs, contentDeltas }));

describe("looksBuffered", () => {
  const slowSource = { latency_ms: 3000, ttfc_ms: 400 }; // content sent over 2.6 s

  test("true when many deltas sent over seconds arrive in one read", () => {
    expect(looksBuffered(reads([3010, 80]), slowSource)).toBe(true);
  });

  test("true when they arrive in a few reads within a few ms (one burst)", () => {
    expect(looksBuffered(reads([3000, 30], [3002, 30], [3005, 20]), slowSource)).toBe(true);
  });

  test("false when the deltas arrive spread out as they were sent", () => {
    const spread = reads(
      [400, 1],
      [420, 0],
      ...Array.from({ length: 40 }, (_, i): [number, number] => [450 + i * 65, 2]),
    );
    expect(looksBuffered(spread, slowSource)).toBe(false);
  });

  test("false for a fast answer: the source itself sent everything within a moment", () => {
    expect(looksBuffered(reads([150, 12]), { latency_ms: 200, ttfc_ms: 120 })).toBe(false);
  });

  test("false for a one-delta answer", () => {
    expect(looksBuffered(reads([3000, 1]), slowSource)).toBe(false);
  });

  test("false without the gateway's timing (no evidence)", () => {
    expect(looksBuffered(reads([3000, 50]), undefined)).toBe(false);
    expect(looksBuffered(reads([3000, 50]), { latency_ms: 3000, ttfc_ms: null })).toBe(false);
  });

  test("usage_start arriving early does not hide a buffered body", () => {
    // A proxy that passed the first bytes, then held the rest to the end.
    expect(looksBuffered(reads([300, 0], [3000, 60]), slowSource)).toBe(true);
  });
});

class MemoryStore implements KeyValueStore {
  readonly values = new Map<string, string>();
  getItem(key: string) {
    return this.values.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.values.set(key, value);
  }
  removeItem(key: string) {
    this.values.delete(key);
  }
}

describe("BufferedHostMemory", () => {
  const url = "https://example.com/wp-json/sluice/v1/chat";

  test("remembers a verdict per site in storage", () => {
    const store = new MemoryStore();
    let now = 1_000_000;
    const memory = new BufferedHostMemory(store, url, () => now);
    expect(memory.isBuffered()).toBe(false);
    memory.remember();
    expect(store.values.get(bufferedHostKey(url))).toBe("1000000");
    now += 60_000;
    expect(new BufferedHostMemory(store, url, () => now).isBuffered()).toBe(true);
    expect(
      new BufferedHostMemory(
        store,
        "https://example.com/other/wp-json/sluice/v1/chat",
      ).isBuffered(),
    ).toBe(false);
  });

  test("forgets the verdict after a week, so a fixed host streams again", () => {
    const store = new MemoryStore();
    new BufferedHostMemory(store, url, () => 0).remember();
    const later = new BufferedHostMemory(store, url, () => BUFFERED_MEMORY_MS + 1);
    expect(later.isBuffered()).toBe(false);
    expect(store.values.size).toBe(0);
  });

  test("works for the page when storage refuses", () => {
    const refusing: KeyValueStore = {
      getItem: () => {
        throw new Error("SecurityError");
      },
      setItem: () => {
        throw new Error("QuotaExceededError");
      },
      removeItem: () => {
        throw new Error("SecurityError");
      },
    };
    const memory = new BufferedHostMemory(refusing, url);
    expect(memory.isBuffered()).toBe(false);
    memory.remember();
    expect(memory.isBuffered()).toBe(true);
    const none = new BufferedHostMemory(undefined, url);
    none.remember();
    expect(none.isBuffered()).toBe(true);
  });
});
