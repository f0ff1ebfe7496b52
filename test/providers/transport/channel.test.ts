import { describe, expect, it } from "vitest";
import { Channel, type ChannelSource } from "../../../server/providers/transport/channel.ts";

interface CountingSource extends ChannelSource {
  calls: { pause: number; resume: number; cancel: number };
}

function source(): CountingSource {
  const calls = { pause: 0, resume: 0, cancel: 0 };
  return {
    calls,
    pause: () => {
      calls.pause += 1;
    },
    resume: () => {
      calls.resume += 1;
    },
    cancel: () => {
      calls.cancel += 1;
    },
  };
}

/** Whether `promise` is still pending once the microtasks queued so far have run. */
async function isPending(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol("pending");
  const winner = await Promise.race([
    promise,
    new Promise((resolve) => setImmediate(resolve, marker)),
  ]);
  return winner === marker;
}

describe("Channel", () => {
  it("items pushed before next() wait in order", async () => {
    const channel = new Channel<number>(source());
    channel.push(1);
    channel.push(2);
    channel.push(3);
    expect(await channel.next()).toEqual({ done: false, value: 1 });
    expect(await channel.next()).toEqual({ done: false, value: 2 });
    expect(await channel.next()).toEqual({ done: false, value: 3 });
    expect(await isPending(channel.next())).toBe(true);
  });

  it("a next() waiting before the push gets the item", async () => {
    const channel = new Channel<string>(source());
    const first = channel.next();
    expect(await isPending(first)).toBe(true);
    channel.push("a");
    expect(await first).toEqual({ done: false, value: "a" });
    channel.push("b");
    const second = channel.next();
    channel.push("c");
    expect(await second).toEqual({ done: false, value: "b" });
    expect(await channel.next()).toEqual({ done: false, value: "c" });
  });

  it("for await reads pushes from before and after it started, in order", async () => {
    const channel = new Channel<number>(source());
    channel.push(1);
    channel.push(2);
    setImmediate(() => {
      channel.push(3);
      setImmediate(() => {
        channel.push(4);
        channel.end();
      });
    });
    const seen: number[] = [];
    for await (const item of channel) seen.push(item);
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it("end(): the queued items, then done, and done again after", async () => {
    const channel = new Channel<number>(source());
    channel.push(1);
    channel.end();
    expect(channel.closed).toBe(true);
    channel.push(2);
    expect(await channel.next()).toEqual({ done: false, value: 1 });
    expect(await channel.next()).toEqual({ done: true, value: undefined });
    expect(await channel.next()).toEqual({ done: true, value: undefined });
  });

  it("end() settles a waiting next() with done", async () => {
    const channel = new Channel<number>(source());
    const waiting = channel.next();
    channel.end();
    expect(await waiting).toEqual({ done: true, value: undefined });
  });

  it("fail(): the queued items first, then the error, every time", async () => {
    const channel = new Channel<number>(source());
    const error = new Error("cut");
    channel.push(1);
    channel.push(2);
    channel.fail(error);
    channel.push(3);
    channel.fail(new Error("second failure is ignored"));
    channel.end();
    expect(await channel.next()).toEqual({ done: false, value: 1 });
    expect(await channel.next()).toEqual({ done: false, value: 2 });
    await expect(channel.next()).rejects.toBe(error);
    await expect(channel.next()).rejects.toBe(error);
  });

  it("fail() rejects a waiting next()", async () => {
    const channel = new Channel<number>(source());
    const error = new Error("reset");
    const waiting = channel.next();
    channel.fail(error);
    await expect(waiting).rejects.toBe(error);
  });

  it("pauses once at highWater and resumes once when drained", async () => {
    const counting = source();
    const channel = new Channel<number>(counting, 3);
    channel.push(1);
    channel.push(2);
    expect(counting.calls.pause).toBe(0);
    channel.push(3);
    expect(counting.calls.pause).toBe(1);
    channel.push(4);
    channel.push(5);
    expect(counting.calls.pause).toBe(1);

    for (const expected of [1, 2, 3, 4]) {
      expect(await channel.next()).toEqual({ done: false, value: expected });
      expect(counting.calls.resume).toBe(0);
    }
    expect(await channel.next()).toEqual({ done: false, value: 5 });
    expect(counting.calls.resume).toBe(1);

    // Filling up again pauses again.
    for (const item of [6, 7, 8]) channel.push(item);
    expect(counting.calls).toEqual({ pause: 2, resume: 1, cancel: 0 });
  });

  it("items handed straight to a waiting next() never count toward highWater", async () => {
    const counting = source();
    const channel = new Channel<number>(counting, 2);
    for (let i = 0; i < 10; i += 1) {
      const waiting = channel.next();
      channel.push(i);
      expect(await waiting).toEqual({ done: false, value: i });
    }
    expect(counting.calls).toEqual({ pause: 0, resume: 0, cancel: 0 });
  });

  it("no resume once the channel ended, though it was paused", async () => {
    const counting = source();
    const channel = new Channel<number>(counting, 2);
    channel.push(1);
    channel.push(2);
    channel.end();
    expect(await channel.next()).toEqual({ done: false, value: 1 });
    expect(await channel.next()).toEqual({ done: false, value: 2 });
    expect(await channel.next()).toEqual({ done: true, value: undefined });
    expect(counting.calls).toEqual({ pause: 1, resume: 0, cancel: 0 });
  });

  it("return() cancels the source once; later pushes are dropped", async () => {
    const counting = source();
    const channel = new Channel<number>(counting);
    channel.push(1);
    channel.push(2);
    expect(await channel.return()).toEqual({ done: true, value: undefined });
    expect(counting.calls.cancel).toBe(1);
    expect(channel.closed).toBe(true);
    channel.push(3);
    expect(await channel.next()).toEqual({ done: true, value: undefined });
    await channel.return();
    expect(counting.calls.cancel).toBe(1);
  });

  it("return() while a next() waits ends that next(): no reader is left hanging", async () => {
    const counting = source();
    const channel = new Channel<number>(counting);
    const waiting = channel.next();
    await channel.return();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(counting.calls.cancel).toBe(1);
  });

  it("break in for await cancels the source", async () => {
    const counting = source();
    const channel = new Channel<number>(counting);
    for (const item of [1, 2, 3]) channel.push(item);
    const seen: number[] = [];
    for await (const item of channel) {
      seen.push(item);
      if (item === 2) break;
    }
    expect(seen).toEqual([1, 2]);
    expect(counting.calls.cancel).toBe(1);
  });

  it("no cancel when the channel already ended or failed", async () => {
    const ended = source();
    const endedChannel = new Channel<number>(ended);
    endedChannel.push(1);
    endedChannel.end();
    await endedChannel.return();
    expect(ended.calls.cancel).toBe(0);

    const failed = source();
    const failedChannel = new Channel<number>(failed);
    failedChannel.fail(new Error("x"));
    await failedChannel.return();
    expect(failed.calls.cancel).toBe(0);

    // A loop that reads to the end does not cancel either.
    const read = source();
    const readChannel = new Channel<number>(read);
    readChannel.push(1);
    readChannel.end();
    for await (const _ of readChannel) {
      // drain
    }
    expect(read.calls.cancel).toBe(0);
  });
});
