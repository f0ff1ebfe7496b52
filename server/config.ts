import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { PROVIDER_IDS, type ProviderId, type ProviderSettings } from "./providers/types.ts";

export interface GatewayConfig {
  port: number;
  host: string;
  dbPath: string;
  /** Where the vault's KEK lives when neither SLUICE_VAULT_KEY nor a KEK command is set. */
  vaultKeyPath: string;
  vaultKey: string | undefined;
  /** A command whose standard output is the KEK (a KMS or `pass` call), run without a shell. */
  vaultKekCommand: string | undefined;
  /** SLUICE_ENV: the environment whose stored provider keys this gateway may use. */
  environment: string;
  /** A stored provider key older than this is reported (`sluice key list`, /healthz); 0: never. */
  keyMaxAgeDays: number;
  /** How long `sluice key rotate` keeps the replaced key usable. */
  keyGraceSeconds: number;
  providers: Record<ProviderId, ProviderSettings>;
  /** false: every answer is buffered, whatever the request asks (no code change needed). */
  streaming: boolean;
  maxInputChars: number;
  maxBodyBytes: number;
  /** The most a client may take to send a request's headers and body (not to read the answer). */
  bodyTimeoutMs: number;
  defaultMaxTokens: number;
  keepAliveMs: number;
  firstByteTimeoutMs: number;
  /** A stream whose provider sends no content for this long is ended (upstream_stalled). */
  streamIdleTimeoutMs: number;
  /** The longest a chat may take, from its arrival to its last chunk (stream_timeout). */
  streamMaxMs: number;
  retryAttempts: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Consecutive failures that open a model's circuit, and how long it stays open. */
  breakerFailures: number;
  breakerCooldownMs: number;
  /** Candidate models for `model: "auto"`, in order of preference. */
  autoModels: string[];
  signatureWindowSeconds: number;
  /** A reservation not settled within this time is released (its stream is presumed lost). */
  reservationTtlMs: number;
  demoDelayMs: number;
  logLevel: string;
  /** SLUICE_METRICS_TOKEN: GET /metrics wants it as a bearer token; unset, only loopback clients may scrape. */
  metricsToken: string | undefined;
  /** SLUICE_HASH_METADATA: visitor ids and error texts stored only as keyed hashes. */
  hashMetadata: boolean;
}

type Env = Record<string, string | undefined>;

/** How much longer than the longest stream a reservation is held (settlement, retries). */
const RESERVATION_MARGIN_MS = 300_000;

/** Loads `.env` from the working directory when present (never overrides real env). */
export function loadDotEnv(cwd: string = process.cwd()): void {
  const file = resolve(cwd, ".env");
  if (existsSync(file)) process.loadEnvFile(file);
}

export function loadConfig(env: Env = process.env): GatewayConfig {
  const dataDir = resolve(env.SLUICE_DATA_DIR ?? "data");
  const providers = {} as Record<ProviderId, ProviderSettings>;
  for (const id of PROVIDER_IDS) {
    const prefix = `SLUICE_${id.toUpperCase()}`;
    const settings: ProviderSettings = {};
    const apiKey = env[`${prefix}_API_KEY`];
    const baseUrl = id === "bedrock" ? env.SLUICE_BEDROCK_ENDPOINT : env[`${prefix}_BASE_URL`];
    if (apiKey) settings.apiKey = apiKey;
    if (baseUrl) settings.baseUrl = baseUrl;
    if (id === "bedrock")
      settings.region = env.SLUICE_BEDROCK_REGION ?? env.AWS_REGION ?? "us-east-1";
    providers[id] = settings;
  }
  const streamMaxMs = integer(env, "SLUICE_STREAM_MAX_MS", 600_000, 100, 86_400_000);
  // A reservation outlives its stream: no chat can still be running when it is released.
  const reservationTtlMs = integer(
    env,
    "SLUICE_RESERVATION_TTL_MS",
    streamMaxMs + RESERVATION_MARGIN_MS,
    1_000,
    172_800_000,
  );
  if (reservationTtlMs <= streamMaxMs) {
    throw new ConfigError(
      `SLUICE_RESERVATION_TTL_MS (${reservationTtlMs}) must be longer than SLUICE_STREAM_MAX_MS (${streamMaxMs}): a reservation must outlive its stream`,
    );
  }
  if (env.SLUICE_VAULT_KEY && env.SLUICE_VAULT_KEK_COMMAND?.trim()) {
    throw new ConfigError("set SLUICE_VAULT_KEY or SLUICE_VAULT_KEK_COMMAND, not both");
  }
  return {
    port: integer(env, "SLUICE_PORT", 8787, 0, 65535),
    host: env.SLUICE_HOST ?? "127.0.0.1",
    dbPath: resolve(env.SLUICE_DB ?? resolve(dataDir, "sluice.db")),
    vaultKeyPath: resolve(env.SLUICE_VAULT_KEY_FILE ?? resolve(dataDir, "vault.key")),
    vaultKey: env.SLUICE_VAULT_KEY || undefined,
    vaultKekCommand: env.SLUICE_VAULT_KEK_COMMAND?.trim() || undefined,
    environment: environmentName(env.SLUICE_ENV),
    keyMaxAgeDays: integer(env, "SLUICE_KEY_MAX_AGE_DAYS", 30, 0, 3650),
    keyGraceSeconds: integer(env, "SLUICE_KEY_GRACE_S", 300, 0, 86_400),
    providers,
    streaming: boolean(env, "SLUICE_STREAMING", true),
    maxInputChars: integer(env, "SLUICE_MAX_INPUT_CHARS", 100_000, 1, 10_000_000),
    maxBodyBytes: integer(env, "SLUICE_MAX_BODY_BYTES", 1_000_000, 1_000, 100_000_000),
    bodyTimeoutMs: integer(env, "SLUICE_BODY_TIMEOUT_MS", 30_000, 100, 600_000),
    defaultMaxTokens: integer(env, "SLUICE_DEFAULT_MAX_TOKENS", 1024, 1, 1_000_000),
    keepAliveMs: integer(env, "SLUICE_KEEPALIVE_MS", 15_000, 10, 3_600_000),
    firstByteTimeoutMs: integer(env, "SLUICE_FIRST_BYTE_TIMEOUT_MS", 60_000, 10, 3_600_000),
    streamIdleTimeoutMs: integer(env, "SLUICE_STREAM_IDLE_TIMEOUT_MS", 60_000, 10, 3_600_000),
    streamMaxMs,
    retryAttempts: integer(env, "SLUICE_RETRY_ATTEMPTS", 3, 1, 10),
    retryBaseDelayMs: integer(env, "SLUICE_RETRY_BASE_DELAY_MS", 250, 0, 60_000),
    retryMaxDelayMs: integer(env, "SLUICE_RETRY_MAX_DELAY_MS", 8_000, 0, 120_000),
    breakerFailures: integer(env, "SLUICE_BREAKER_FAILURES", 5, 1, 1_000_000),
    breakerCooldownMs: integer(env, "SLUICE_BREAKER_COOLDOWN_MS", 30_000, 0, 3_600_000),
    autoModels: list(env.SLUICE_AUTO_MODELS),
    signatureWindowSeconds: integer(env, "SLUICE_SIGNATURE_WINDOW_S", 300, 1, 3600),
    reservationTtlMs,
    demoDelayMs: integer(env, "SLUICE_DEMO_DELAY_MS", 30, 0, 10_000),
    logLevel: env.SLUICE_LOG_LEVEL ?? "info",
    metricsToken: metricsToken(env.SLUICE_METRICS_TOKEN),
    hashMetadata: boolean(env, "SLUICE_HASH_METADATA", false),
  };
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** The environment name: "default" unless set; the rule site ids follow. */
function environmentName(raw: string | undefined): string {
  if (raw === undefined || raw === "") return "default";
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(raw)) {
    throw new ConfigError(
      `SLUICE_ENV must be 1-64 lowercase letters, digits, ".", "_" or "-", got "${raw}"`,
    );
  }
  return raw;
}

/** The shortest bearer token GET /metrics accepts: a guessable one would open it to anyone. */
const MIN_METRICS_TOKEN_LENGTH = 16;

function metricsToken(raw: string | undefined): string | undefined {
  const token = raw?.trim();
  if (!token) return undefined;
  if (token.length < MIN_METRICS_TOKEN_LENGTH || /\s/.test(token)) {
    throw new ConfigError(
      `SLUICE_METRICS_TOKEN must be at least ${MIN_METRICS_TOKEN_LENGTH} characters with no spaces (e.g. openssl rand -hex 24)`,
    );
  }
  return token;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "on", "yes"].includes(raw)) return true;
  if (["0", "false", "off", "no"].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function list(raw: string | undefined): string[] {
  if (!raw) return [];
  return raw
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
