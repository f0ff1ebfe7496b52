import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  TranscriptConversation,
  TranscriptList,
  TranscriptSettings,
} from "../../contract/transcripts.ts";
import { openTicketBody } from "../../server/http/ticket.ts";
import { readEvents, startTestGateway, type TestGateway } from "../support/gateway.ts";
import { type PluginSite, startPluginSite } from "./support/site.ts";

// Transcripts through the plugin: a real WordPress (php -S + SQLite) with plugin/ and a
// real gateway. Only a block whose saved attributes say keepTranscripts keeps anything,
// in relay and in direct mode; the admin reads them through /sluice/v1/transcripts; and
// WordPress's own exporter and eraser callbacks find a visitor's turns.

let gateway: TestGateway;
let site: PluginSite;
let posts: { kept: number; unkept: number };

interface Grant {
  ticket: string;
  body: string;
  url: string;
}

beforeAll(async () => {
  gateway = await startTestGateway({ SLUICE_DEMO_DELAY_MS: "5" });
  site = await startPluginSite({
    url: gateway.url,
    siteId: gateway.siteId,
    secret: gateway.secret,
  });
  posts = await site.php("transcripts-seed.php");
  const raised = await site.rest("/settings", {
    as: "admin",
    body: { rate_limit_per_minute: 1000 },
  });
  expect(raised.status).toBe(200);
}, 60_000);

afterAll(async () => {
  await site?.stop();
  await gateway?.stop();
});

function chatRequest(
  post: number,
  block: string,
  text: string,
  extra: Record<string, unknown> = {},
) {
  return { post_id: post, block_id: block, messages: [{ role: "user", content: text }], ...extra };
}

/** What the gateway stored, read off its SQLite file. */
function storedTurns(): Array<{
  request_id: string;
  conversation_id: string;
  question: string;
  visitor: string;
}> {
  return gateway.services.db
    .prepare("SELECT request_id, conversation_id, question, visitor FROM transcripts")
    .all() as Array<{
    request_id: string;
    conversation_id: string;
    question: string;
    visitor: string;
  }>;
}

async function waitSettled(): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    const open = gateway.services.db
      .prepare("SELECT COUNT(*) FROM requests WHERE status = 'open'")
      .pluck()
      .get() as number;
    if (open === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("requests never settled");
}

async function streamedChat(body: unknown, from = "127.0.0.3", as?: "subscriber") {
  const response = await site.rest("/chat", { body, from, ...(as ? { as } : {}) });
  expect(response.status, await response.clone().text()).toBe(200);
  const events = await readEvents(response);
  expect(events.at(-1)?.data).toBe("[DONE]");
  return String(events.find((event) => event.json?.type === "usage_final")?.json?.request_id);
}

describe("transcripts through the plugin", () => {
  it("keeps a kept block's conversation, with its cost, for the admin", async () => {
    const first = await streamedChat(
      chatRequest(posts.kept, "kept-block-1", "Where do otters sleep?", {
        conversation_id: "conv-wp-000001",
      }),
    );
    await streamedChat(
      chatRequest(posts.kept, "kept-block-1", "And beavers?", {
        conversation_id: "conv-wp-000001",
      }),
    );
    await waitSettled();
    const list = await site.rest("/transcripts", { as: "admin" });
    expect(list.status).toBe(200);
    const page = (await list.json()) as TranscriptList;
    const conversation = page.data.find((row) => row.conversation_id === "conv-wp-000001");
    expect(conversation).toMatchObject({ turns: 2, first_question: "Where do otters sleep?" });
    const ledgerCost = gateway.services.db
      .prepare(
        "SELECT SUM(cost_picousd) FROM requests WHERE id IN (SELECT request_id FROM transcripts WHERE conversation_id = ?)",
      )
      .pluck()
      .get("conv-wp-000001") as number;
    expect(ledgerCost).toBeGreaterThan(0);
    expect(conversation?.cost_usd).toBeCloseTo(ledgerCost / 1e12, 12);

    const one = await site.rest("/transcripts/conversations/conv-wp-000001", { as: "admin" });
    const turns = ((await one.json()) as TranscriptConversation).turns;
    expect(turns.map((turn) => turn.question)).toEqual(["Where do otters sleep?", "And beavers?"]);
    expect(turns[0]?.request_id).toBe(first);
    expect(turns[0]?.answer.length).toBeGreaterThan(0);
    // The visitor id as the chat sent it: the plugin's hash, never the address.
    expect(storedTurns().find((turn) => turn.request_id === first)?.visitor).toMatch(
      /^wp\.[0-9a-f]{40}$/,
    );
  });

  it("keeps nothing of a block with it off, even when the body asks", async () => {
    const before = storedTurns().length;
    await streamedChat(
      chatRequest(posts.unkept, "unkept-block-1", "Forged", {
        transcript: true,
        keepTranscripts: true,
        conversation_id: "conv-forged-001",
      }),
    );
    await streamedChat(chatRequest(posts.unkept, "unkept-block-1", "Plain"));
    await waitSettled();
    expect(storedTurns().length).toBe(before);
    const bad = await site.rest("/chat", {
      body: chatRequest(posts.kept, "kept-block-1", "x", { conversation_id: "../../etc" }),
    });
    expect(bad.status).toBe(400);
  });

  it("seals the flag only for a kept block in direct mode, and the gateway keeps that chat", async () => {
    const saved = await site.rest("/settings", { as: "admin", body: { direct_url: gateway.url } });
    expect(saved.status).toBe(200);
    const probe = (await (
      await site.rest("/direct-probe", { as: "admin", body: {} })
    ).json()) as Grant;
    const send = (grant: Grant) =>
      fetch(grant.url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "X-Sluice-Ticket": grant.ticket,
          Origin: new URL(site.url).origin,
        },
        body: grant.body,
      });
    await readEvents(await send(probe));
    const result = await site.rest("/direct-probe/result", {
      as: "admin",
      body: { url: probe.url, ok: true },
    });
    expect(((await result.json()) as { transport: string }).transport).toBe("direct");

    const sealed = (grant: Grant) => {
      const [, encoded = ""] = grant.ticket.split(".");
      const opened = openTicketBody(
        gateway.secret,
        encoded,
        (JSON.parse(grant.body) as { sealed: string }).sealed,
      );
      return JSON.parse(opened?.toString("utf8") ?? "null") as Record<string, unknown>;
    };
    const ticket = async (body: unknown) => {
      const response = await site.rest("/ticket", { body, from: "127.0.0.4" });
      expect(response.status).toBe(200);
      return (await response.json()) as Grant;
    };
    const forged = await ticket(
      chatRequest(posts.unkept, "unkept-block-1", "Forged ticket", {
        transcript: true,
        conversation_id: "conv-forged-002",
      }),
    );
    expect(sealed(forged)).not.toHaveProperty("transcript");
    expect(sealed(forged)).not.toHaveProperty("conversation_id");
    const kept = await ticket(
      chatRequest(posts.kept, "kept-block-1", "Direct question", {
        conversation_id: "conv-direct-01",
      }),
    );
    expect(sealed(kept)).toMatchObject({ transcript: true, conversation_id: "conv-direct-01" });
    const streamed = await send(kept);
    expect(streamed.status).toBe(200);
    await readEvents(streamed);
    await waitSettled();
    expect(storedTurns().map((turn) => turn.conversation_id)).toContain("conv-direct-01");
    expect(storedTurns().map((turn) => turn.conversation_id)).not.toContain("conv-forged-002");
    await site.rest("/settings", { as: "admin", body: { direct_url: "" } });
  });

  it("searches, deletes, and is for administrators only", async () => {
    const found = (await (
      await site.rest("/transcripts?search=beavers", { as: "admin" })
    ).json()) as TranscriptList;
    expect(found.data.map((row) => row.conversation_id)).toEqual(["conv-wp-000001"]);
    for (const as of ["subscriber", undefined] as const) {
      const refused = await site.rest("/transcripts", as ? { as } : {});
      expect(refused.status).toBeGreaterThanOrEqual(401);
      expect(refused.status).toBeLessThanOrEqual(403);
      const notDeleted = await site.rest("/transcripts/conversations/conv-direct-01", {
        method: "DELETE",
        ...(as ? { as } : {}),
      });
      expect(notDeleted.status).toBeGreaterThanOrEqual(401);
    }
    const deleted = await site.rest("/transcripts/conversations/conv-direct-01", {
      as: "admin",
      method: "DELETE",
    });
    expect(await deleted.json()).toEqual({ deleted: 1 });
    const gone = await site.rest("/transcripts/conversations/conv-direct-01", { as: "admin" });
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { code: string }).code).toBe(
      "sluice_gateway_transcript_not_found",
    );
  });

  it("exports and erases a visitor's turns through WordPress's own exporter and eraser callbacks", async () => {
    // A logged-in subscriber: matched by their account's e-mail address.
    await streamedChat(
      chatRequest(posts.kept, "kept-block-1", "Subscriber's question", {
        conversation_id: "conv-sub-00001",
      }),
      "127.0.0.5",
      "subscriber",
    );
    // An anonymous visitor (127.0.0.3, above): matched once they confirm their request from that address.
    await site.php("privacy-tools.php", "confirm", "anon@example.com", "127.0.0.3");
    await waitSettled();

    type Exported = Record<
      string,
      { data: Array<{ data: Array<{ name: string; value: string }> }>; done: boolean }
    >;
    const questions = (exported: Exported) =>
      (exported["sluice-transcripts"]?.data ?? []).map(
        (item) => item.data.find((field) => field.name === "Question")?.value,
      );
    const subscriber = await site.php<Exported>(
      "privacy-tools.php",
      "export",
      "subscriber@example.com",
    );
    expect(questions(subscriber)).toEqual(["Subscriber's question"]);
    const anonymous = await site.php<Exported>("privacy-tools.php", "export", "anon@example.com");
    expect(questions(anonymous)).toEqual(["Where do otters sleep?", "And beavers?"]);
    const stranger = await site.php<Exported>("privacy-tools.php", "export", "nobody@example.com");
    expect(questions(stranger)).toEqual([]);

    const erased = await site.php<Record<string, { items_removed: boolean }>>(
      "privacy-tools.php",
      "erase",
      "anon@example.com",
    );
    expect(erased["sluice-transcripts"]?.items_removed).toBe(true);
    expect(
      questions(await site.php<Exported>("privacy-tools.php", "export", "anon@example.com")),
    ).toEqual([]);
    expect(storedTurns().map((turn) => turn.question)).toEqual(["Subscriber's question"]);
  });

  it("sends the retention to the gateway and purges past it on the daily cron", async () => {
    const saved = await site.rest("/transcripts/settings", {
      as: "admin",
      body: { retention_days: 5 },
    });
    expect((await saved.json()) as TranscriptSettings).toEqual({ retention_days: 5 });
    expect(await (await gateway.request("/v1/transcripts/settings")).json()).toEqual({
      retention_days: 5,
    });
    const tooLong = await site.rest("/transcripts/settings", {
      as: "admin",
      body: { retention_days: 0 },
    });
    expect(tooLong.status).toBe(400);

    gateway.services.db
      .prepare("UPDATE transcripts SET created_at = ?")
      .run(Date.now() - 6 * 86_400_000);
    const cron = await site.php<{ scheduled: boolean }>("privacy-tools.php", "cron");
    expect(cron.scheduled).toBe(true);
    expect(storedTurns()).toEqual([]);
  });
});
