import {
  DEFAULT_TRANSCRIPT_RETENTION_DAYS,
  type TranscriptConversation,
  type TranscriptList,
  type TranscriptTurn,
} from "../../contract/transcripts.ts";
import { picoUsdToUsd } from "../pricing/money.ts";
import type { Db } from "./db.ts";

const DAY_MS = 86_400_000;

/** One turn as the chat pipeline records it, once the chat has settled. */
export interface RecordedTurn {
  requestId: string;
  siteId: string;
  conversationId: string;
  /** As the ledger keeps it: MetadataPrivacy.visitor() of the chat's `user`. */
  visitor: string | undefined;
  question: string;
  answer: string;
  at: number;
}

interface TurnRow {
  request_id: string;
  conversation_id: string;
  visitor: string | null;
  question: string;
  answer: string;
  created_at: number;
  cost_picousd: number | null;
  model: string | null;
  status: string | null;
}

interface SummaryRow {
  conversation_id: string;
  visitor: string | null;
  started_at: number;
  last_at: number;
  turns: number;
  cost_picousd: number;
  first_question: string;
}

/** `%` and `_` of a search taken as themselves in LIKE … ESCAPE '\'. */
function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (found) => `\\${found}`)}%`;
}

const TURN_COLUMNS = `t.request_id, t.conversation_id, t.visitor, t.question, t.answer, t.created_at,
  r.cost_picousd, r.model, r.status`;

/**
 * The kept conversations of the sites that asked for them: one row per chat
 * (request), grouped by the conversation id the block sent. Costs are read
 * from the request ledger at query time, so a turn whose settlement is still
 * queued shows its cost once it is written.
 */
export class TranscriptStore {
  readonly #db: Db;
  readonly #insert;

  constructor(db: Db) {
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT INTO transcripts (request_id, site_id, conversation_id, visitor, question, answer, created_at)
       VALUES (@requestId, @siteId, @conversationId, @visitor, @question, @answer, @at)
       ON CONFLICT (request_id) DO NOTHING`,
    );
  }

  record(turn: RecordedTurn): void {
    this.#insert.run({ ...turn, visitor: turn.visitor ?? null });
  }

  /** Conversations newest first, those whose question or answer holds `search` when given. */
  list(
    siteId: string,
    options: { search?: string; limit: number; offset: number },
  ): TranscriptList {
    const filter =
      options.search === undefined || options.search === ""
        ? ""
        : `AND conversation_id IN (SELECT conversation_id FROM transcripts
             WHERE site_id = @siteId AND (question LIKE @pattern ESCAPE '\\' OR answer LIKE @pattern ESCAPE '\\'))`;
    const parameters = {
      siteId,
      pattern: likePattern(options.search ?? ""),
      limit: options.limit,
      offset: options.offset,
    };
    const rows = this.#db
      .prepare(
        `SELECT t.conversation_id, MIN(t.visitor) AS visitor, MIN(t.created_at) AS started_at,
           MAX(t.created_at) AS last_at, COUNT(*) AS turns,
           COALESCE(SUM(r.cost_picousd), 0) AS cost_picousd,
           (SELECT question FROM transcripts f WHERE f.site_id = t.site_id
              AND f.conversation_id = t.conversation_id ORDER BY f.created_at, f.request_id LIMIT 1)
             AS first_question
         FROM transcripts t LEFT JOIN requests r ON r.id = t.request_id
         WHERE t.site_id = @siteId ${filter}
         GROUP BY t.conversation_id ORDER BY last_at DESC, t.conversation_id
         LIMIT @limit OFFSET @offset`,
      )
      .all(parameters) as SummaryRow[];
    const total = this.#db
      .prepare(
        `SELECT COUNT(DISTINCT conversation_id) FROM transcripts WHERE site_id = @siteId ${filter}`,
      )
      .pluck()
      .get(parameters) as number;
    return {
      object: "list",
      total,
      data: rows.map((row) => ({
        conversation_id: row.conversation_id,
        visitor: row.visitor,
        started_at: new Date(row.started_at).toISOString(),
        last_at: new Date(row.last_at).toISOString(),
        turns: row.turns,
        cost_usd: picoUsdToUsd(row.cost_picousd),
        first_question: row.first_question,
      })),
    };
  }

  /** One conversation, oldest turn first; undefined when the site has none by that id. */
  conversation(siteId: string, conversationId: string): TranscriptConversation | undefined {
    const rows = this.#db
      .prepare(
        `SELECT ${TURN_COLUMNS} FROM transcripts t LEFT JOIN requests r ON r.id = t.request_id
         WHERE t.site_id = ? AND t.conversation_id = ? ORDER BY t.created_at, t.request_id`,
      )
      .all(siteId, conversationId) as TurnRow[];
    const first = rows[0];
    if (!first) return undefined;
    const turns = rows.map(toTurn);
    return {
      conversation_id: conversationId,
      visitor: first.visitor,
      cost_usd: picoUsdToUsd(rows.reduce((sum, row) => sum + (row.cost_picousd ?? 0), 0)),
      turns,
    };
  }

  deleteConversation(siteId: string, conversationId: string): number {
    return this.#db
      .prepare("DELETE FROM transcripts WHERE site_id = ? AND conversation_id = ?")
      .run(siteId, conversationId).changes;
  }

  /** Every turn of these visitors (ids as stored), oldest first. */
  visitorTurns(
    siteId: string,
    visitors: string[],
  ): Array<TranscriptTurn & { conversation_id: string }> {
    if (visitors.length === 0) return [];
    const rows = this.#db
      .prepare(
        `SELECT ${TURN_COLUMNS} FROM transcripts t LEFT JOIN requests r ON r.id = t.request_id
         WHERE t.site_id = ? AND t.visitor IN (SELECT value FROM json_each(?))
         ORDER BY t.created_at, t.request_id`,
      )
      .all(siteId, JSON.stringify(visitors)) as TurnRow[];
    return rows.map((row) => ({ conversation_id: row.conversation_id, ...toTurn(row) }));
  }

  eraseVisitors(siteId: string, visitors: string[]): number {
    if (visitors.length === 0) return 0;
    return this.#db
      .prepare(
        "DELETE FROM transcripts WHERE site_id = ? AND visitor IN (SELECT value FROM json_each(?))",
      )
      .run(siteId, JSON.stringify(visitors)).changes;
  }

  retentionDays(siteId: string): number {
    const stored = this.#db
      .prepare("SELECT retention_days FROM transcript_settings WHERE site_id = ?")
      .pluck()
      .get(siteId) as number | undefined;
    return stored ?? DEFAULT_TRANSCRIPT_RETENTION_DAYS;
  }

  setRetentionDays(siteId: string, days: number): void {
    this.#db
      .prepare(
        `INSERT INTO transcript_settings (site_id, retention_days) VALUES (?, ?)
         ON CONFLICT (site_id) DO UPDATE SET retention_days = excluded.retention_days`,
      )
      .run(siteId, days);
  }

  /** Deletes one site's turns older than its retention; returns how many went. */
  purgeSite(siteId: string, now: number): number {
    const before = now - this.retentionDays(siteId) * DAY_MS;
    return this.#db
      .prepare("DELETE FROM transcripts WHERE site_id = ? AND created_at < ?")
      .run(siteId, before).changes;
  }

  /** Every site's turns older than its retention (the gateway's own timer). */
  purgeExpired(now: number): number {
    const sites = this.#db
      .prepare("SELECT DISTINCT site_id FROM transcripts")
      .pluck()
      .all() as string[];
    return sites.reduce((sum, siteId) => sum + this.purgeSite(siteId, now), 0);
  }
}

function toTurn(row: TurnRow): TranscriptTurn {
  return {
    request_id: row.request_id,
    at: new Date(row.created_at).toISOString(),
    question: row.question,
    answer: row.answer,
    cost_usd: picoUsdToUsd(row.cost_picousd ?? 0),
    model: row.model,
    status: row.status,
  };
}
