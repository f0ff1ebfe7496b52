import type { Request, Response } from "express";
import { z } from "zod";
import {
  CONVERSATION_ID_PATTERN,
  MAX_TRANSCRIPT_RETENTION_DAYS,
  type TranscriptDeletion,
  type TranscriptSettings,
} from "../../../contract/transcripts.ts";
import { describeIssues } from "../../chat/schema.ts";
import type { MetadataPrivacy } from "../../ledger/metadata-privacy.ts";
import type { TranscriptStore } from "../../ledger/transcripts.ts";
import { parseJsonBody } from "../body.ts";
import { context } from "../context.ts";
import { GatewayError, sendError } from "../errors.ts";

const conversationId = z
  .string()
  .regex(new RegExp(CONVERSATION_ID_PATTERN), "must be 8-64 of A-Za-z, 0-9, '_' and '-'");

const listQuery = z.strictObject({
  search: z.string().max(200, "must be at most 200 characters").optional(),
  limit: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(1, "must be from 1 to 200")
    .max(200, "must be from 1 to 200")
    .default(20),
  offset: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(0, "must be from 0 to 1000000")
    .max(1_000_000, "must be from 0 to 1000000")
    .default(0),
});

/** A visitor id as the plugin sends it (`user` of a chat), or as the ledger stores it (a hash). */
const visitorId = z
  .string({ error: "must be a string" })
  .min(8, "must be at least 8 characters")
  .max(128, "must be at most 128 characters")
  .regex(/^[A-Za-z0-9._:-]+$/, "may only hold letters, digits, '.', '_', ':' and '-'");

const visitorsBody = z.strictObject({
  visitors: z.array(visitorId).min(1, "must name at least one visitor").max(20, "at most 20"),
});

const retentionDays = z
  .number({ error: "must be a number" })
  .int("must be a whole number")
  .min(1, `must be from 1 to ${MAX_TRANSCRIPT_RETENTION_DAYS}`)
  .max(MAX_TRANSCRIPT_RETENTION_DAYS, `must be from 1 to ${MAX_TRANSCRIPT_RETENTION_DAYS}`);

const settingsBody = z.strictObject({ retention_days: retentionDays });
const purgeBody = z.strictObject({ retention_days: retentionDays.optional() });

/** Catches the routes' GatewayErrors into the error envelope. */
function answer(work: (req: Request, res: Response) => void) {
  return (req: Request, res: Response): void => {
    try {
      work(req, res);
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      sendError(res, error.status, error.code, error.message, context(res).requestId);
    }
  };
}

function parsed<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new GatewayError(400, "invalid_request", describeIssues(result.error));
  return result.data;
}

function conversationParam(req: Request): string {
  const result = conversationId.safeParse(req.params.conversation_id);
  if (!result.success) {
    throw new GatewayError(
      400,
      "invalid_request",
      `conversation_id: ${result.error.issues[0]?.message}`,
    );
  }
  return result.data;
}

/**
 * The transcript routes, signed like every /v1 route and scoped to the signing site
 * (docs/wire-format.md, "Transcripts"):
 * GET /v1/transcripts?search=&limit=&offset=, GET and DELETE
 * /v1/transcripts/conversations/:conversation_id, POST /v1/transcripts/visitors/export
 * and /visitors/erase {visitors}, POST /v1/transcripts/purge {retention_days?},
 * GET and PUT /v1/transcripts/settings {retention_days}.
 */
export function transcriptRoutes(
  store: TranscriptStore,
  privacy: () => MetadataPrivacy,
  now: () => number,
) {
  /** A visitor id matches its stored form (its hash under SLUICE_HASH_METADATA) and itself. */
  const storedForms = (visitors: string[]) => [
    ...new Set(visitors.flatMap((visitor) => [privacy().visitor(visitor) ?? visitor, visitor])),
  ];
  const settings = (siteId: string): TranscriptSettings => ({
    retention_days: store.retentionDays(siteId),
  });
  return {
    list: answer((req, res) => {
      const query = parsed(listQuery, req.query);
      res.json(store.list(context(res).siteId, query));
    }),
    show: answer((req, res) => {
      const id = conversationParam(req);
      const conversation = store.conversation(context(res).siteId, id);
      if (!conversation) {
        throw new GatewayError(404, "transcript_not_found", `no kept conversation ${id}`);
      }
      res.json(conversation);
    }),
    remove: answer((req, res) => {
      const id = conversationParam(req);
      const deleted = store.deleteConversation(context(res).siteId, id);
      if (deleted === 0) {
        throw new GatewayError(404, "transcript_not_found", `no kept conversation ${id}`);
      }
      res.json({ deleted } satisfies TranscriptDeletion);
    }),
    exportVisitors: answer((req, res) => {
      const { visitors } = parseJsonBody(req, visitorsBody, describeIssues);
      res.json({
        object: "list",
        data: store.visitorTurns(context(res).siteId, storedForms(visitors)),
      });
    }),
    eraseVisitors: answer((req, res) => {
      const { visitors } = parseJsonBody(req, visitorsBody, describeIssues);
      const deleted = store.eraseVisitors(context(res).siteId, storedForms(visitors));
      res.json({ deleted } satisfies TranscriptDeletion);
    }),
    purge: answer((req, res) => {
      const { siteId } = context(res);
      const body = parseJsonBody(req, purgeBody, describeIssues);
      if (body.retention_days !== undefined) store.setRetentionDays(siteId, body.retention_days);
      res.json({ deleted: store.purgeSite(siteId, now()), ...settings(siteId) });
    }),
    showSettings: answer((_req, res) => {
      res.json(settings(context(res).siteId));
    }),
    updateSettings: answer((req, res) => {
      const { siteId } = context(res);
      const body = parseJsonBody(req, settingsBody, describeIssues);
      store.setRetentionDays(siteId, body.retention_days);
      res.json(settings(siteId));
    }),
  };
}
