import { expect } from "vitest";
import { ProviderConnectionError, ProviderStreamError } from "../../../server/providers/errors.ts";
import type {
  ProviderAdapter,
  ProviderCall,
  ProviderEvent,
} from "../../../server/providers/types.ts";
import type { FaultStep, Refusal, ScriptedServer } from "./scripted-server.ts";

/**
 * Calls, stream readers and the checks the Anthropic and Bedrock suites run
 * alike: each check scripts the server, drives the adapter and asserts the
 * same sequence, whatever the wire format underneath.
 */

/** An adapter under test and the scripted server it talks to. */
export interface ScriptedTarget<Step> {
  adapter: ProviderAdapter;
  server: ScriptedServer<Step>;
}

/** A short call to `model`, with `overrides` on top. */
export function callFor(model: string, overrides: Partial<ProviderCall> = {}): ProviderCall {
  return { model, messages: [{ role: "user", content: "Say pong" }], maxTokens: 64, ...overrides };
}

/** A call to `model` for the adapter to fold: two system messages, two user turns in a row. */
export function foldingCall(model: string): ProviderCall {
  return callFor(model, {
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hello" },
      { role: "user", content: "Say pong" },
      { role: "system", content: "Answer in English." },
      { role: "assistant", content: "Sure." },
      { role: "user", content: "Now." },
    ],
    maxTokens: 128,
    temperature: 0.3,
  });
}

/** Every event until the stream ends, and what it threw if it did not end cleanly. */
export async function drain(stream: AsyncIterable<ProviderEvent>) {
  const events: ProviderEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

/** Opens a call to `model` with a fresh signal and drains it. */
export async function openAndDrain(adapter: ProviderAdapter, model: string) {
  return drain(await adapter.open(callFor(model), new AbortController().signal));
}

/** What opening a call to `model` rejected with (the stream itself if it opened). */
export function openError(adapter: ProviderAdapter, model: string) {
  return adapter.open(callFor(model), new AbortController().signal).catch((error) => error);
}

/** The text deltas, joined. */
export function textOf(events: ProviderEvent[]): string {
  return events.map((event) => (event.type === "text-delta" ? event.text : "")).join("");
}

/** Scripts `refusal`; expects one request, rejected with `errorClass` and `fields`. */
export async function expectRefused<Step>(
  { adapter, server }: ScriptedTarget<Step>,
  model: string,
  refusal: Refusal,
  errorClass: new (...args: never[]) => Error,
  fields: Record<string, unknown>,
) {
  server.script(model, { kind: "error", ...refusal });
  const error = await openError(adapter, model);
  expect(error).toBeInstanceOf(errorClass);
  expect(error).toMatchObject(fields);
  expect(server.requestsFor(model)).toHaveLength(1);
  return error;
}

/** Scripts a slow first byte; expects open() to resolve after the headers, then `text`. */
export async function expectOpenAfterHeaders<Step>(
  { adapter, server }: ScriptedTarget<Step>,
  model: string,
  steps: (Step | FaultStep)[],
  text: string,
) {
  server.script(model, { kind: "stream", headersDelayMs: 300, steps });
  const stream = await adapter.open(callFor(model), new AbortController().signal);
  const openedAt = Date.now();

  const respondedAt = server.requestsFor(model)[0]?.respondedAt;
  expect(respondedAt).toBeDefined();
  expect(openedAt).toBeGreaterThanOrEqual(respondedAt ?? Number.POSITIVE_INFINITY);
  const { events, error } = await drain(stream);
  expect(error).toBeUndefined();
  expect(textOf(events)).toBe(text);
}

/** Aborts while the headers are late: open() rejects with an AbortError, the upstream closes. */
export async function expectAbortBeforeHeaders<Step>(
  { adapter, server }: ScriptedTarget<Step>,
  model: string,
) {
  server.script(model, { kind: "stream", headersDelayMs: 5000, steps: [] });
  const controller = new AbortController();

  const opening = adapter.open(callFor(model), controller.signal);
  await waitFor(() => server.requestsFor(model).length === 1);
  controller.abort();

  await expect(opening).rejects.toMatchObject({ name: "AbortError" });
  await expectClosedEarly(server, model);
}

/** Expects an upstream nobody listens on to reject open() with a retryable connection error. */
export async function expectConnectionError(adapter: ProviderAdapter, model: string) {
  const error = await openError(adapter, model);
  expect(error).toBeInstanceOf(ProviderConnectionError);
  expect(error.retryable).toBe(true);
}

/** Scripts `steps`; expects `text`, then a stream error from the iterator. */
export async function expectStreamError<Step>(
  { adapter, server }: ScriptedTarget<Step>,
  model: string,
  steps: (Step | FaultStep)[],
  text: string,
) {
  server.script(model, { kind: "stream", steps });
  const { events, error } = await openAndDrain(adapter, model);
  expect(textOf(events)).toBe(text);
  expect(error).toBeInstanceOf(ProviderStreamError);
  return { events, error: error as ProviderStreamError };
}

/**
 * Scripts `opening` then a hang, reads the events `before` and the delta
 * `text`, and aborts: the upstream closes at once, the iterator ends with an AbortError.
 */
export async function expectAbortMidStream<Step>(
  { adapter, server }: ScriptedTarget<Step>,
  model: string,
  opening: Step[],
  expected: { before: ProviderEvent["type"][]; text: string },
) {
  server.script(model, { kind: "stream", steps: [...opening, { hang: true }] });
  const controller = new AbortController();

  const stream = await adapter.open(callFor(model), controller.signal);
  const iterator = stream[Symbol.asyncIterator]();
  const before: ProviderEvent["type"][] = [];
  let step = await iterator.next();
  while (!step.done && step.value.type !== "text-delta") {
    before.push(step.value.type);
    step = await iterator.next();
  }
  expect(before).toEqual(expected.before);
  expect(step.value).toEqual({ type: "text-delta", text: expected.text });

  controller.abort();

  // The abort alone closes the upstream connection, before anyone reads on.
  await expectClosedEarly(server, model);
  await expect(drainIterator(iterator)).rejects.toMatchObject({ name: "AbortError" });
}

/** Scripts `opening` then a hang; leaving the loop at the first delta closes the upstream. */
export async function expectEarlyExitCloses<Step>(
  { adapter, server }: ScriptedTarget<Step>,
  model: string,
  opening: Step[],
) {
  server.script(model, { kind: "stream", steps: [...opening, { hang: true }] });

  const stream = await adapter.open(callFor(model), new AbortController().signal);
  for await (const event of stream) {
    if (event.type === "text-delta") break;
  }

  await expectClosedEarly(server, model);
}

async function expectClosedEarly<Step>(server: ScriptedServer<Step>, model: string) {
  await expect(server.requestsFor(model)[0]?.closed).resolves.toEqual({ beforeEnd: true });
}

async function drainIterator(iterator: AsyncIterator<ProviderEvent>): Promise<void> {
  for (let step = await iterator.next(); !step.done; step = await iterator.next()) {
    // keep reading until the iterator ends or throws
  }
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
