import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  TranscriptConversation,
  TranscriptList,
  TranscriptVisitorExport,
} from "../../contract/transcripts.ts";
import { chatBody, readEvents, startTestGateway, type TestGateway } from "../support/gateway.ts";

// The gateway keeps a chat's question and answer only when the (signed) body asks,
// and its admin routes list, search, show, delete, export, erase and purge them.

let gateway: TestGateway;
let hashed: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway();
  hashed = await startTestGateway({ SLUICE_HASH_METADATA: "true" });
});

afterAll(async () => {
  await gateway?.stop();
  await hashed?.stop();
});

async function chat(target: TestGateway, text: string, extra: Record<string, unknown>) {
  const response = await target.request("/v1/chat", { body: chatBody(text, extra) });
  expect(response.status).toBe(200);
  const events = await readEvents(response);
  const answer = events
    .filter((event) => event.json?.type === "content")
    .map((event) => String(event.json?.data))
    .join("");
  const final = events.find((event) => event.json?.type === "usage_final")?.json;
  return { answer, requestId: String(final?.request_id), costUsd: Number(final?.cost_usd) };
}

/** Settlements are group-committed: wait until the ledger has the row's cost. */
async function settled(target: TestGateway, requestId: string): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    const status = target.services.db
      .prepare("SELECT status FROM requests WHERE id = ?")
      .pluck()
      .get(requestId);
    if (status !== "open") return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`request ${requestId} never settled`);
}

async function json<T>(response: Response): Promise<T> {
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as T;
}

describe("transcripts", () => {
  it("keeps a conversation only when the body asks, with its cost joined from the ledger", async () => {
    const off = await chat(gateway, "Not kept at all", { user: "wp.visitor-off-1" });
    const first = await chat(gateway, "What is a sluice gate?", {
      transcript: true,
      conversation_id: "conv-alpha-0001",
      user: "wp.visitor-alpha",
    });
    const second = await chat(gateway, "And a weir?", {
      transcript: true,
      conversation_id: "conv-alpha-0001",
      user: "wp.visitor-alpha",
    });
    await settled(gateway, off.requestId);
    await settled(gateway, second.requestId);
    const kept = gateway.services.db.prepare("SELECT request_id FROM transcripts").pluck().all();
    expect(kept).not.toContain(off.requestId);

    const list = await json<TranscriptList>(await gateway.request("/v1/transcripts"));
    const alpha = list.data.find((row) => row.conversation_id === "conv-alpha-0001");
    expect(alpha).toMatchObject({ turns: 2, first_question: "What is a sluice gate?" });
    expect(alpha?.cost_usd).toBeCloseTo(first.costUsd + second.costUsd, 12);
    expect(alpha?.cost_usd).toBeGreaterThan(0);

    const one = await json<TranscriptConversation>(
      await gateway.request("/v1/transcripts/conversations/conv-alpha-0001"),
    );
    expect(one.turns.map((turn) => [turn.question, turn.answer])).toEqual([
      ["What is a sluice gate?", first.answer],
      ["And a weir?", second.answer],
    ]);
    expect(one.visitor).toBe("wp.visitor-alpha");
  });

  it("searches questions and answers, with LIKE's wildcards taken as text", async () => {
    await chat(gateway, "Tell me about 100% of otters", {
      transcript: true,
      conversation_id: "conv-otters-01",
    });
    const found = await json<TranscriptList>(
      await gateway.request(`/v1/transcripts?search=${encodeURIComponent("100%")}`),
    );
    expect(found.data.map((row) => row.conversation_id)).toEqual(["conv-otters-01"]);
    const wildcard = await json<TranscriptList>(
      await gateway.request(`/v1/transcripts?search=${encodeURIComponent("_%_")}`),
    );
    expect(wildcard.total).toBe(0);
    const bad = await gateway.request("/v1/transcripts?limit=0");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
  });

  it("deletes a conversation, and answers 404 transcript_not_found after", async () => {
    await chat(gateway, "Delete me", { transcript: true, conversation_id: "conv-delete-01" });
    const deleted = await gateway.request("/v1/transcripts/conversations/conv-delete-01", {
      method: "DELETE",
    });
    expect(await json(deleted)).toEqual({ deleted: 1 });
    const gone = await gateway.request("/v1/transcripts/conversations/conv-delete-01");
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe(
      "transcript_not_found",
    );
    const badId = await gateway.request("/v1/transcripts/conversations/x");
    expect(badId.status).toBe(400);
  });

  it("refuses a conversation id outside the pattern on a chat", async () => {
    const response = await gateway.request("/v1/chat", {
      body: chatBody("hi", { transcript: true, conversation_id: "<script>" }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("conversation_id");
  });

  it("stores the hashed visitor id under SLUICE_HASH_METADATA, and exports and erases by the raw one", async () => {
    const mine = await chat(hashed, "My own question", {
      transcript: true,
      conversation_id: "conv-mine-0001",
      user: "wp.visitor-mine",
    });
    await chat(hashed, "Someone else's", {
      transcript: true,
      conversation_id: "conv-other-001",
      user: "wp.visitor-other",
    });
    const stored = hashed.services.db
      .prepare("SELECT visitor FROM transcripts WHERE request_id = ?")
      .pluck()
      .get(mine.requestId) as string;
    expect(stored).toMatch(/^h1\./);
    expect(stored).not.toContain("visitor-mine");

    const exported = await json<TranscriptVisitorExport>(
      await hashed.request("/v1/transcripts/visitors/export", {
        body: { visitors: ["wp.visitor-mine"] },
      }),
    );
    expect(exported.data.map((turn) => turn.question)).toEqual(["My own question"]);
    const erased = await json(
      await hashed.request("/v1/transcripts/visitors/erase", {
        body: { visitors: ["wp.visitor-mine"] },
      }),
    );
    expect(erased).toEqual({ deleted: 1 });
    const left = await json<TranscriptList>(await hashed.request("/v1/transcripts"));
    expect(left.data.map((row) => row.conversation_id)).toEqual(["conv-other-001"]);
  });

  it("purges turns past the site's retention, on the signed purge and on the gateway's own start", async () => {
    const old = await chat(gateway, "An old question", {
      transcript: true,
      conversation_id: "conv-old-00001",
    });
    const recent = await chat(gateway, "A recent question", {
      transcript: true,
      conversation_id: "conv-recent-01",
    });
    const setAge = gateway.services.db.prepare(
      "UPDATE transcripts SET created_at = ? WHERE request_id = ?",
    );
    setAge.run(Date.now() - 8 * 86_400_000, old.requestId);
    setAge.run(Date.now() - 6 * 86_400_000, recent.requestId);
    const purged = await json<{ deleted: number; retention_days: number }>(
      await gateway.request("/v1/transcripts/purge", { body: { retention_days: 7 } }),
    );
    expect(purged).toEqual({ deleted: 1, retention_days: 7 });
    const settings = await json(await gateway.request("/v1/transcripts/settings"));
    expect(settings).toEqual({ retention_days: 7 });
    const ids = gateway.services.db.prepare("SELECT request_id FROM transcripts").pluck().all();
    expect(ids).toContain(recent.requestId);
    expect(ids).not.toContain(old.requestId);

    // No purge call at all: the gateway's own timer (it runs at start) forgets as well.
    setAge.run(Date.now() - 9 * 86_400_000, recent.requestId);
    expect(gateway.services.transcripts.purgeExpired(Date.now())).toBe(1);
    const tooLong = await gateway.request("/v1/transcripts/settings", {
      method: "PUT",
      body: { retention_days: 100_000 },
    });
    expect(tooLong.status).toBe(400);
  });

  it("scopes every route to the signing site", async () => {
    const otherSecret = gateway.services.sites.add("other-site");
    const response = await gateway.request("/v1/transcripts/conversations/conv-alpha-0001", {
      sign: { siteId: "other-site", secret: otherSecret },
    });
    expect(response.status).toBe(404);
    const list = await json<TranscriptList>(
      await gateway.request("/v1/transcripts", {
        sign: { siteId: "other-site", secret: otherSecret },
      }),
    );
    expect(list.total).toBe(0);
  });
});
