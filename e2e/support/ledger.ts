import Database from "better-sqlite3";
import { readState } from "./state.ts";

/** One row of the gateway's `requests` table (the columns the suite looks at). */
export interface LedgerRow {
  id: string;
  site_id: string;
  visitor: string | null;
  provider: string;
  model: string;
  streamed: number;
  status: "open" | "ok" | "aborted" | "error" | "interrupted";
  input_tokens: number;
  output_tokens: number;
  cost_picousd: number;
  finish_reason: string | null;
  error_code: string | null;
  started_at: number;
  finished_at: number | null;
}

/** Reads the gateway's ledger (its SQLite file), read-only, while the gateway runs. */
function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(readState().gateway.dbPath, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 2000");
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** The ledger row of one request (the X-Request-Id the chat route passed on), if written. */
export function ledgerRow(requestId: string): LedgerRow | undefined {
  return query<LedgerRow>("SELECT * FROM requests WHERE id = ?", requestId)[0];
}

/** All rows, oldest first (for failure messages). */
export function ledgerRows(): LedgerRow[] {
  return query<LedgerRow>("SELECT * FROM requests ORDER BY started_at");
}
