import type { Request, Response } from "express";
import type { Db } from "../../ledger/db.ts";
import { picoUsdToUsd } from "../../pricing/money.ts";
import { context } from "../context.ts";
import { sendError } from "../errors.ts";

interface RequestRow {
  id: string;
  started_at: number;
  provider: string;
  model: string;
  requested_model: string;
  degraded_from: string | null;
  status: string;
  streamed: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  reasoning_tokens: number;
  cost_picousd: number;
  priced: number;
  usage_source: string | null;
  latency_ms: number | null;
  ttfc_ms: number | null;
  finish_reason: string | null;
  error_code: string | null;
  error_message: string | null;
  source: string | null;
}

const COLUMNS = [
  "id",
  "started_at",
  "provider",
  "model",
  "requested_model",
  "degraded_from",
  "status",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "reasoning_tokens",
  "cost_usd",
  "priced",
  "usage_source",
  "latency_ms",
  "ttfc_ms",
  "finish_reason",
  "error_code",
  "error_message",
  "source",
] as const;

/**
 * GET /v1/requests?limit=50&before=<unix ms>&offset=0&format=json|csv: the
 * site's finished requests that started before `before` (default: now),
 * newest first, skipping `offset` of them. JSON adds `total` (how many there
 * are before `before`), `as_of` (the `before` used: pass it back with an
 * offset for the next pages, which then stay stable while new requests
 * arrive) and `next_before` (a cursor to the older rest, without an offset).
 * CSV gives the whole range requested (limit up to 10,000) for export.
 */
export function requestsRoute(db: Db) {
  const finished = "FROM requests WHERE site_id = ? AND started_at < ? AND status != 'open'";
  const page = db.prepare(`SELECT * ${finished} ORDER BY started_at DESC, id LIMIT ? OFFSET ?`);
  const count = db.prepare(`SELECT COUNT(*) ${finished}`).pluck();
  return (req: Request, res: Response): void => {
    const { siteId, requestId } = context(res);
    const format = req.query.format ?? "json";
    const csv = format === "csv";
    const limit = Number(req.query.limit ?? (csv ? 10_000 : 50));
    const before = Number(req.query.before ?? Date.now() + 1);
    if (format !== "json" && !csv) {
      sendError(res, 400, "invalid_request", 'format: must be "json" or "csv"', requestId);
      return;
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > (csv ? 10_000 : 500)) {
      sendError(
        res,
        400,
        "invalid_request",
        `limit: must be a whole number from 1 to ${csv ? 10_000 : 500}`,
        requestId,
      );
      return;
    }
    const offset = Number(req.query.offset ?? 0);
    if (!Number.isInteger(offset) || offset < 0 || offset > 1_000_000) {
      sendError(
        res,
        400,
        "invalid_request",
        "offset: must be a whole number from 0 to 1000000",
        requestId,
      );
      return;
    }
    if (!Number.isFinite(before)) {
      sendError(
        res,
        400,
        "invalid_request",
        "before: must be a unix time in milliseconds",
        requestId,
      );
      return;
    }
    const rows = (page.all(siteId, before, limit, offset) as RequestRow[]).map((row) => ({
      id: row.id,
      started_at: new Date(row.started_at).toISOString(),
      provider: row.provider,
      model: row.model,
      requested_model: row.requested_model,
      degraded_from: row.degraded_from,
      status: row.status,
      streamed: row.streamed === 1,
      input_tokens: row.input_tokens,
      output_tokens: row.output_tokens,
      cache_read_tokens: row.cache_read_tokens,
      reasoning_tokens: row.reasoning_tokens,
      cost_usd: picoUsdToUsd(row.cost_picousd),
      priced: row.priced === 1,
      usage_source: row.usage_source,
      latency_ms: row.latency_ms,
      ttfc_ms: row.ttfc_ms,
      finish_reason: row.finish_reason,
      error_code: row.error_code,
      error_message: row.error_message,
      source: row.source,
    }));
    if (csv) {
      const lines = [COLUMNS.join(",")];
      for (const row of rows) lines.push(COLUMNS.map((column) => csvField(row[column])).join(","));
      res
        .status(200)
        .type("text/csv")
        .set("Content-Disposition", `attachment; filename="sluice-${siteId}-requests.csv"`)
        .send(`${lines.join("\r\n")}\r\n`);
      return;
    }
    const last = rows.at(-1);
    res.json({
      data: rows,
      total: count.get(siteId, before) as number,
      as_of: before,
      next_before: rows.length === limit && last ? Date.parse(last.started_at) : null,
    });
  };
}

/** RFC 4180 field; cells that a spreadsheet would run as a formula are prefixed with '. */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value === "string") text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
