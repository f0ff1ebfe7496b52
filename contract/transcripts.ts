/**
 * The admin JSON of the gateway's transcript routes (signed, for the site's admin
 * screen and WordPress's privacy tools): conversations a Chat block kept because
 * its admin switched "Keep transcripts" on. docs/wire-format.md, "Transcripts".
 */

/** One question and its answer, as the visitor saw it streamed. */
export interface TranscriptTurn {
  request_id: string;
  /** ISO 8601. */
  at: string;
  question: string;
  answer: string;
  /** The request's cost from the ledger; 0 until it is settled. */
  cost_usd: number;
  model: string | null;
  status: string | null;
}

/** A conversation in the list: its first question, turns and total cost. */
export interface TranscriptSummary {
  conversation_id: string;
  /** The visitor id as the ledger stores it (a keyed hash with SLUICE_HASH_METADATA=true). */
  visitor: string | null;
  started_at: string;
  last_at: string;
  turns: number;
  cost_usd: number;
  first_question: string;
}

export interface TranscriptList {
  object: "list";
  data: TranscriptSummary[];
  /** Conversations matching the search, in all. */
  total: number;
}

export interface TranscriptConversation {
  conversation_id: string;
  visitor: string | null;
  cost_usd: number;
  turns: TranscriptTurn[];
}

/** What a visitor's export holds: every turn of theirs, oldest first. */
export interface TranscriptVisitorExport {
  object: "list";
  data: Array<TranscriptTurn & { conversation_id: string }>;
}

/** DELETE of a conversation, a visitor's erasure, a purge: how many turns went. */
export interface TranscriptDeletion {
  deleted: number;
}

export interface TranscriptSettings {
  /** Turns older than this many days are purged (default 30). */
  retention_days: number;
}

export const DEFAULT_TRANSCRIPT_RETENTION_DAYS = 30;
export const MAX_TRANSCRIPT_RETENTION_DAYS = 3650;
/** An opaque conversation id, as the block makes it and the plugin passes it on. */
export const CONVERSATION_ID_PATTERN = "^[A-Za-z0-9_-]{8,64}$";
