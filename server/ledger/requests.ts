import type { TokenUsage } from "../providers/types.ts";
import type { Db } from "./db.ts";

export type RequestStatus = "open" | "ok" | "aborted" | "error" | "interrupted";
export type UsageSource = "reported" | "estimated" | "none";

export interface OpenedRequest {
  id: string;
  siteId: string;
  visitor: string | undefined;
  provider: string;
  model: string;
  requestedModel: string;
  streamed: boolean;
  startedAt: number;
  /** Our count of the input, billed if a crash leaves the row open. */
  inputTokens: number;
  maxTokens: number;
  reservedPicoUsd: number;
  degradedFrom: string | null;
  /** Who asked (e.g. "plugin:my-seo-helper"); null when the client named none. */
  source?: string | null;
}

export interface OpenRow {
  id: string;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  startedAt: number;
}

export interface SettledRequest {
  status: Exclude<RequestStatus, "open">;
  usage: TokenUsage;
  usageSource: UsageSource;
  costPicoUsd: number;
  priced: boolean;
  providerCostPicoUsd: number | undefined;
  finishReason: string | null;
  errorCode: string | null;
  /** The failure in full (a provider's own text): the admin's request list shows it, clients never. */
  errorMessage?: string | null;
  latencyMs: number;
  ttfcMs: number | null;
  finishedAt: number;
  /** The model that actually answered (it may differ from the planned one after failover). */
  provider: string;
  model: string;
}

/** Characters of an error message kept in the ledger. */
const MAX_ERROR_MESSAGE = 2000;

/** Checkpoints of running streams are written together, at most this long after they were taken. */
const CHECKPOINT_BATCH_MS = 250;

/**
 * One row per request. The row is written when the request starts (status
 * "open") and settled in a `finally`, so aborts and errors are billed; rows a
 * crash left open are marked "interrupted" at the next start-up.
 */
export class RequestLedger {
  readonly #open;
  readonly #settle;
  readonly #openRows;
  readonly #writeCheckpoints;
  #checkpoints = new Map<string, number>();
  #checkpointTimer: NodeJS.Timeout | undefined;

  constructor(db: Db) {
    this.#open = db.prepare(
      `INSERT INTO requests (id, site_id, visitor, provider, model, requested_model, streamed, status,
         started_at, input_tokens, max_tokens, reserved_picousd, degraded_from, source)
       VALUES (@id, @siteId, @visitor, @provider, @model, @requestedModel, @streamed, 'open',
         @startedAt, @inputTokens, @maxTokens, @reservedPicoUsd, @degradedFrom, @source)`,
    );
    this.#settle = db.prepare(
      `UPDATE requests SET status = @status, provider = @provider, model = @model,
         input_tokens = @inputTokens, output_tokens = @outputTokens,
         cache_read_tokens = @cacheReadTokens, cache_write_tokens = @cacheWriteTokens,
         reasoning_tokens = @reasoningTokens, usage_source = @usageSource,
         cost_picousd = @costPicoUsd, priced = @priced, provider_cost_picousd = @providerCostPicoUsd,
         finish_reason = @finishReason, error_code = @errorCode, error_message = @errorMessage,
         latency_ms = @latencyMs,
         ttfc_ms = @ttfcMs, finished_at = @finishedAt
       WHERE id = @id`,
    );
    const checkpoint = db.prepare(
      "UPDATE requests SET output_tokens = ? WHERE id = ? AND status = 'open'",
    );
    this.#writeCheckpoints = db.transaction((batch: Map<string, number>) => {
      for (const [id, outputTokens] of batch) checkpoint.run(outputTokens, id);
    });
    this.#openRows = db.prepare(
      "SELECT id, provider, model, input_tokens AS inputTokens, output_tokens AS outputTokens, started_at AS startedAt FROM requests WHERE status = 'open' AND started_at < ?",
    );
  }

  open(request: OpenedRequest): void {
    this.#open.run({
      ...request,
      visitor: request.visitor ?? null,
      source: request.source ?? null,
      streamed: request.streamed ? 1 : 0,
    });
  }

  settle(id: string, outcome: SettledRequest): void {
    const { usage, ...rest } = outcome;
    this.#settle.run({
      id,
      ...rest,
      ...usage,
      priced: outcome.priced ? 1 : 0,
      providerCostPicoUsd: outcome.providerCostPicoUsd ?? null,
      errorMessage: outcome.errorMessage?.slice(0, MAX_ERROR_MESSAGE) ?? null,
    });
  }

  /**
   * Records a running stream's output so far (an estimate), for crash
   * recovery. The checkpoints of all streams are written in one transaction
   * within 250 ms: one commit for a thousand streams, not a thousand. A row
   * settled in between keeps its settled numbers (only open rows are updated).
   */
  checkpoint(id: string, outputTokens: number): void {
    this.#checkpoints.set(id, outputTokens);
    if (this.#checkpointTimer) return;
    this.#checkpointTimer = setTimeout(() => {
      try {
        this.flushCheckpoints();
      } catch (error) {
        // A lost checkpoint only makes a crash's bill use the one before.
        process.emitWarning(`ledger checkpoints not written: ${(error as Error).message}`);
      }
    }, CHECKPOINT_BATCH_MS);
    this.#checkpointTimer.unref();
  }

  /** Writes the checkpoints taken so far (also before the database closes). */
  flushCheckpoints(): void {
    clearTimeout(this.#checkpointTimer);
    this.#checkpointTimer = undefined;
    if (this.#checkpoints.size === 0) return;
    const batch = this.#checkpoints;
    this.#checkpoints = new Map();
    this.#writeCheckpoints(batch);
  }

  /** Rows still open that started before `before`: left by a crash when read at start-up. */
  openRows(before: number): OpenRow[] {
    return this.#openRows.all(before) as OpenRow[];
  }
}
