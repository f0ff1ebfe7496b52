import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { readSse } from "../../../server/providers/transport/sse.ts";

interface SeenEvent {
  data: string;
  event: string | undefined;
}

interface Reading {
  events: SeenEvent[];
  ends: number;
  errors: unknown[];
  /** Settles at the first onEnd or onError. */
  over: Promise<void>;
}

function read(
  stream: PassThrough,
  onEvent: (data: string, event: string | undefined) => void = () => {},
): Reading {
  let settle!: () => void;
  const reading: Reading = {
    events: [],
    ends: 0,
    errors: [],
    over: new Promise<void>((resolve) => {
      settle = resolve;
    }),
  };
  readSse(stream, {
    onEvent(data, event) {
      reading.events.push({ data, event });
      onEvent(data, event);
    },
    onEnd() {
      reading.ends += 1;
      settle();
    },
    onError(error) {
      reading.errors.push(error);
      settle();
    },
  });
  return reading;
}

/** Lets the stream's remaining events ('end', 'close') run, to catch a late second call. */
async function settled(stream: PassThrough): Promise<void> {
  if (!stream.closed) await new Promise((resolve) => stream.once("close", resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

/** Writes `parts` in order, then ends, and reads to the end. */
async function readParts(parts: (string | Buffer)[]): Promise<Reading> {
  const stream = new PassThrough();
  const reading = read(stream);
  for (const part of parts) stream.write(part);
  stream.end();
  await reading.over;
  await settled(stream);
  return reading;
}

const SAMPLE_LF = [
  ": keep-alive",
  "",
  "event: message",
  'data: {"text":"héllo 🌊 日本"}',
  "",
  "data: line one",
  "data: line two",
  "",
  "data: [DONE]",
  "",
  "",
].join("\n");

const SAMPLE_EVENTS: SeenEvent[] = [
  { data: '{"text":"héllo 🌊 日本"}', event: "message" },
  { data: "line one\nline two", event: undefined },
  { data: "[DONE]", event: undefined },
];

describe("readSse", () => {
  const samples = [
    ["LF", SAMPLE_LF],
    ["CRLF", SAMPLE_LF.replaceAll("\n", "\r\n")],
    ["CR", SAMPLE_LF.replaceAll("\n", "\r")],
  ] as const;

  it.each(samples)(
    "%s: reads the sample whole, each event ended by its blank line",
    async (_, sample) => {
      const reading = await readParts([sample]);
      expect(reading.events).toEqual(SAMPLE_EVENTS);
      expect(reading.ends).toBe(1);
      expect(reading.errors).toEqual([]);
    },
  );

  it.each(samples)(
    "%s: split in two at every byte boundary, the same events as whole",
    async (_, sample) => {
      const bytes = Buffer.from(sample, "utf8");
      // The sample holds multi-byte characters, so some splits fall inside one.
      expect(bytes.length).toBeGreaterThan(sample.length);
      const whole = await readParts([bytes]);
      // At least the events before the last one (whatever the end does with it).
      expect(whole.events.slice(0, 2)).toEqual(SAMPLE_EVENTS.slice(0, 2));
      for (let at = 0; at <= bytes.length; at += 1) {
        const reading = await readParts([bytes.subarray(0, at), bytes.subarray(at)]);
        expect({ at, events: reading.events }).toEqual({ at, events: whole.events });
        expect(reading.ends).toBe(1);
        expect(reading.errors).toEqual([]);
      }
    },
  );

  it("one byte per write, the same events", async () => {
    const bytes = Buffer.from(SAMPLE_LF.replaceAll("\n", "\r\n"), "utf8");
    const parts = [...bytes].map((byte) => Buffer.from([byte]));
    const reading = await readParts(parts);
    expect(reading.events).toEqual(SAMPLE_EVENTS);
    expect(reading.ends).toBe(1);
  });

  it("comments are ignored, also between the lines of one event", async () => {
    const reading = await readParts([
      ": first comment\n: second\n\ndata: a\n: inside\ndata: b\n\n:last\n\n",
    ]);
    expect(reading.events).toEqual([{ data: "a\nb", event: undefined }]);
  });

  it("the event name is passed; an event without one gets undefined", async () => {
    const reading = await readParts([
      'event: error\ndata: {"message":"overloaded"}\n\ndata: plain\n\n',
    ]);
    expect(reading.events).toEqual([
      { data: '{"message":"overloaded"}', event: "error" },
      { data: "plain", event: undefined },
    ]);
  });

  it.each([
    ["no line end", "data: first\n\ndata: last"],
    ["one line end", "data: first\n\ndata: last\n"],
  ])("a final event with %s is delivered on end, before onEnd", async (_, text) => {
    const stream = new PassThrough();
    const order: string[] = [];
    readSse(stream, {
      onEvent: (data) => order.push(data),
      onEnd: () => order.push("end"),
      onError: (error) => order.push(`error: ${String(error)}`),
    });
    stream.end(text);
    await settled(stream);
    expect(order).toEqual(["first", "last", "end"]);
  });

  it("onEnd is called exactly once, and onError never, on a clean end", async () => {
    const stream = new PassThrough();
    const reading = read(stream);
    stream.end("data: x\n\n");
    await reading.over;
    await settled(stream);
    expect(stream.closed).toBe(true);
    expect(reading.ends).toBe(1);
    expect(reading.errors).toEqual([]);
  });

  it("a stream destroyed without an error calls onError once, never onEnd", async () => {
    const stream = new PassThrough();
    const reading = read(stream);
    stream.write("data: before\n\n");
    await new Promise((resolve) => setImmediate(resolve));
    stream.destroy();
    await reading.over;
    await settled(stream);
    expect(reading.events).toEqual([{ data: "before", event: undefined }]);
    expect(reading.errors).toHaveLength(1);
    expect(reading.errors[0]).toBeInstanceOf(Error);
    expect(reading.ends).toBe(0);
  });

  it("a stream destroyed with an error hands that error to onError, once", async () => {
    const stream = new PassThrough();
    const reading = read(stream);
    const error = new Error("ECONNRESET");
    stream.destroy(error);
    await reading.over;
    await settled(stream);
    expect(reading.errors).toEqual([error]);
    expect(reading.ends).toBe(0);
  });

  it("onEvent throwing: onError gets that error, no more onEvent, the stream is destroyed", async () => {
    const stream = new PassThrough();
    const thrown = new Error("bad chunk");
    const reading = read(stream, (data) => {
      if (data === "2") throw thrown;
    });
    stream.write("data: 1\n\ndata: 2\n\ndata: 3\n\n");
    await reading.over;
    await settled(stream);
    expect(reading.events.map((event) => event.data)).toEqual(["1", "2"]);
    expect(reading.errors).toEqual([thrown]);
    expect(reading.ends).toBe(0);
    expect(stream.destroyed).toBe(true);
  });

  it("onEvent throwing on the final event flushed at the end: onError, not onEnd", async () => {
    const stream = new PassThrough();
    const thrown = new Error("bad last chunk");
    const reading = read(stream, (data) => {
      if (data === "last") throw thrown;
    });
    stream.end("data: first\n\ndata: last");
    await reading.over;
    await settled(stream);
    expect(reading.events.map((event) => event.data)).toEqual(["first", "last"]);
    expect(reading.errors).toEqual([thrown]);
    expect(reading.ends).toBe(0);
  });
});
