import { BudgetGuard } from "./budget/guard.ts";
import { PolicyStore } from "./budget/policy.ts";
import type { ExternalUsageDeps } from "./chat/external-usage.ts";
import type { ChatDeps } from "./chat/pipeline.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { GatewayConfig } from "./config.ts";
import { type Db, openDatabase } from "./ledger/db.ts";
import { SettlementJournal } from "./ledger/journal.ts";
import { openVault } from "./ledger/kek.ts";
import { type KekReload, kekReload } from "./ledger/kek-reload.ts";
import { metadataPrivacy } from "./ledger/metadata-privacy.ts";
import { NonceStore } from "./ledger/nonces.ts";
import { RequestLedger, type SettledRequest } from "./ledger/requests.ts";
import { SettlementQueue } from "./ledger/settlements.ts";
import { SiteStore } from "./ledger/sites.ts";
import { TranscriptStore } from "./ledger/transcripts.ts";
import { UsageReports } from "./ledger/usage.ts";
import { createLogger, type Logger } from "./logger.ts";
import { GatewayMetrics } from "./metrics/gateway-metrics.ts";
import { costOf, listCostOf, worstCaseCostPicoUsd } from "./pricing/cost.ts";
import { loadPriceBook, type PriceBook } from "./pricing/prices.ts";
import { ProviderRegistry } from "./providers/registry.ts";
import type { ProviderId } from "./providers/types.ts";
import { ModelCatalog } from "./routing/catalog.ts";
import { type Connect, Dialer } from "./routing/dialer.ts";
import { RouteHealth } from "./routing/health.ts";
import { Planner } from "./routing/planner.ts";
import { describeScope, ProviderKeyStore } from "./vault/provider-keys.ts";
import type { Vault } from "./vault/vault.ts";

/** Everything the gateway is made of, wired once from its configuration. */
export interface Services {
  config: GatewayConfig;
  db: Db;
  vault: Vault;
  /** Follows a KEK rotation made by another process (rotate-kek in key-file mode). */
  kekReload: KekReload;
  sites: SiteStore;
  nonces: NonceStore;
  providerKeys: ProviderKeyStore;
  prices: PriceBook;
  registry: ProviderRegistry;
  catalog: ModelCatalog;
  health: RouteHealth;
  planner: Planner;
  dialer: Dialer;
  ledger: RequestLedger;
  usage: UsageReports;
  policies: PolicyStore;
  budget: BudgetGuard;
  /** What the chat pipeline runs with (its settlements are group-committed). */
  chat: ChatDeps;
  settlements: SettlementQueue;
  /** GET /metrics: this gateway's own Prometheus registry. */
  metrics: GatewayMetrics;
  /** What POST /v1/external-usage records with. */
  externalUsage: ExternalUsageDeps;
  /** Settles one request at once, in its own transaction. */
  settleNow: (requestId: string, outcome: SettledRequest) => void;
  /** Kept conversations (opt-in per Chat block), purged past each site's retention on a timer. */
  transcripts: TranscriptStore;
  /** Chats in progress (settled when their ledger row is). */
  inflight: Set<Promise<void>>;
  close(): void;
}

/** While settlements wait on a failing database, the log repeats the alarm this often. */
const BACKLOG_LOG_EVERY_MS = 60_000;

/** How often the gateway purges transcripts past their site's retention on its own. */
const TRANSCRIPT_PURGE_EVERY_MS = 3_600_000;

/** What tests may put in place of the real thing: the clock, and the transport to providers. */
export interface ServiceOverrides {
  clock?: Clock;
  connect?: Connect;
}

export function createServices(
  config: GatewayConfig,
  logger: Logger = createLogger(config.logLevel),
  overrides: ServiceOverrides = {},
): Services {
  const clock = overrides.clock ?? systemClock;
  const db = openDatabase(config.dbPath);
  let vault: Vault;
  try {
    vault = openVault(db, vaultSettings(config));
  } catch (error) {
    db.close();
    throw error;
  }
  const kekReloader = kekReload(db, vault, vaultSettings(config), {
    adopted: (from, to) =>
      logger.warn({ from, to }, "the vault's KEK was rotated: this gateway now uses the new one"),
    failed: (error) =>
      logger.error(
        { err: error },
        "the vault's KEK was rotated, but its source still gives the old one: secrets sealed under the new KEK cannot be opened until the gateway is restarted with it",
      ),
  });
  const providerKeys = new ProviderKeyStore(db, vault);
  const prices = loadPriceBook();
  const registry = new ProviderRegistry(config, providerKeys, {
    onPreviousKeyUsed: (scope) =>
      logger.warn(
        { provider: scope.provider, site: scope.siteId, environment: scope.environment },
        `the provider refused the new ${describeScope(scope)} key; this call uses the key it replaced, until its grace period ends`,
      ),
  });
  const catalog = new ModelCatalog(prices);
  const worstCase = (provider: ProviderId, model: string, inputTokens: number, maxTokens: number) =>
    worstCaseCostPicoUsd(provider, model, inputTokens, maxTokens, prices);
  const health = new RouteHealth(
    {
      breakerFailureThreshold: config.breakerFailures,
      breakerCooldownMs: config.breakerCooldownMs,
    },
    clock,
  );
  const metrics = new GatewayMetrics({
    isCatalogModel: (provider, model) => catalog.find(`${provider}/${model}`)?.priced === true,
    circuits: () => health.circuits(),
  });
  const planner = new Planner(catalog, health, {
    defaultMaxTokens: config.defaultMaxTokens,
    autoModels: config.autoModels,
    isConfigured: (provider, siteId) => registry.isConfigured(provider, siteId),
    worstCase,
  });
  const connect: Connect =
    overrides.connect ??
    ((provider, call, signal, siteId) => registry.open(provider, call, signal, siteId));
  const dialer = new Dialer(connect, health, clock, {
    retry: {
      attempts: config.retryAttempts,
      baseDelayMs: config.retryBaseDelayMs,
      maxDelayMs: config.retryMaxDelayMs,
    },
    firstByteTimeoutMs: config.firstByteTimeoutMs,
    onRetry: (target, kind) => metrics.retried(target, kind),
  });
  const ledger = new RequestLedger(db);
  const policies = new PolicyStore(db);
  const budget = new BudgetGuard(db, { reservationTtlMs: config.reservationTtlMs });
  const price = priceWith(prices);
  const applySettlement = (requestId: string, outcome: SettledRequest) => {
    ledger.settle(requestId, outcome);
    budget.settle(requestId, outcome.costPicoUsd);
  };
  let alarmedAt = 0;
  const settlements = new SettlementQueue(db, applySettlement, {
    journal:
      config.dbPath === ":memory:"
        ? undefined
        : new SettlementJournal(`${config.dbPath}.settlements.jsonl`),
    onError: (error, backlog) => {
      // Once when the trouble starts, then once a minute: a full disk must not also fill with logs.
      if (Date.now() - alarmedAt < BACKLOG_LOG_EVERY_MS) return;
      alarmedAt = Date.now();
      logger.error(
        { err: error, journaled: backlog.journaled, held: backlog.held, db: config.dbPath },
        "settlements could not be written to the ledger; kept in the journal and retried",
      );
    },
    onRecovered: (written) => {
      alarmedAt = 0;
      logger.warn({ written }, "settlements kept during a ledger failure are written now");
    },
  });
  // Made once: better-sqlite3 builds a wrapper per db.transaction() call.
  const inTransaction = db.transaction((work: () => unknown) => work());
  const transcripts = new TranscriptStore(db);
  // At start-up, then hourly: a site whose WordPress cron never runs still forgets.
  const purgeTranscripts = () => {
    try {
      const deleted = transcripts.purgeExpired(clock.now());
      if (deleted > 0) logger.info({ deleted }, "transcripts past their retention purged");
    } catch (error) {
      logger.error({ err: error }, "transcripts past their retention could not be purged");
    }
  };
  purgeTranscripts();
  const transcriptTimer = setInterval(purgeTranscripts, TRANSCRIPT_PURGE_EVERY_MS);
  transcriptTimer.unref();
  const chat: ChatDeps = {
    planner,
    dialer,
    clock,
    ledger,
    policies,
    budget,
    price,
    worstCase,
    transaction: <T>(work: () => T) => inTransaction.immediate(work) as T,
    settle: (requestId, outcome) => {
      const queuedAt = clock.monotonic();
      return settlements
        .add(requestId, outcome)
        .then(() => metrics.settledIn((clock.monotonic() - queuedAt) / 1000));
    },
    deadlines: { idleMs: config.streamIdleTimeoutMs, maxMs: config.streamMaxMs },
    observer: metrics,
    metadata: metadataPrivacy(config.hashMetadata, db, vault),
    transcripts,
  };
  return {
    config,
    db,
    vault,
    kekReload: kekReloader,
    sites: new SiteStore(db, vault),
    nonces: new NonceStore(db),
    providerKeys,
    prices,
    registry,
    catalog,
    health,
    planner,
    dialer,
    ledger,
    usage: new UsageReports(db),
    policies,
    budget,
    chat,
    settlements,
    metrics,
    externalUsage: {
      ledger,
      policies,
      budget,
      listPrice: (provider, model, usage) => {
        const { costPicoUsd, priced } = listCostOf(provider, model, usage, prices);
        return { costPicoUsd, priced };
      },
      transaction: chat.transaction,
    },
    settleNow: db.transaction(applySettlement),
    transcripts,
    inflight: new Set(),
    close: () => {
      clearInterval(transcriptTimer);
      try {
        ledger.flushCheckpoints();
      } finally {
        db.close();
        vault.forget();
      }
    },
  };
}

/** Where the vault's KEK comes from, as the configuration says. */
export function vaultSettings(config: GatewayConfig) {
  return { key: config.vaultKey, keyPath: config.vaultKeyPath, command: config.vaultKekCommand };
}

/** The price function the chat pipeline bills with. */
export function priceWith(prices: PriceBook) {
  return (
    provider: Parameters<typeof costOf>[0],
    model: string,
    usage: Parameters<typeof costOf>[2],
  ) => {
    const { costPicoUsd, priced } = costOf(provider, model, usage, prices);
    return { costPicoUsd, priced };
  };
}
