import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { GatewayConfig } from "./config.ts";
import type { AuditLog } from "./ledger/audit.ts";
import type { Db } from "./ledger/db.ts";
import { openVault, type RotationStep, rotateKek, vaultReport } from "./ledger/kek.ts";
import { lockDatabase } from "./ledger/lock.ts";
import type { SiteStore } from "./ledger/sites.ts";
import { isProviderId, PROVIDER_IDS, type ProviderId } from "./providers/types.ts";
import { vaultSettings } from "./services.ts";
import { decodeKey, kekMode, runKekCommand } from "./vault/kek-source.ts";
import { readStagedKeyFile, stagedKeyPath } from "./vault/key-file.ts";
import {
  isScopeName,
  type KeyScope,
  keyAge,
  type ProviderKeyStore,
  type StoredKey,
  scopeFlags,
} from "./vault/provider-keys.ts";
import { Vault } from "./vault/vault.ts";

/** The `sluice key` and `sluice vault` commands, and how the CLI reads secrets. */

export class UsageError extends Error {
  override name = "UsageError";
}

export type Flags = { [flag: string]: string | boolean | undefined };

/**
 * A test hook, not a setting: SLUICE_TEST_CRASH_AT=<step> makes `sluice vault
 * rotate-kek` kill itself (SIGKILL: no clean-up runs) right after that step
 * (staged, rewrapped, committed, swapped), so a test can check that a crash
 * there leaves every secret readable.
 */
const CRASH_AT_VARIABLE = "SLUICE_TEST_CRASH_AT";

/** `sluice key set | rotate | list | remove`. */
export async function keyCommand(
  config: GatewayConfig,
  keys: ProviderKeyStore,
  sites: SiteStore,
  action: string | undefined,
  provider: string | undefined,
  values: Flags,
  audit?: AuditLog,
): Promise<number> {
  if (action === "list" && provider === undefined) {
    keys.dropExpired();
    listKeys(config, keys.list(), Boolean(values.json));
    return 0;
  }
  if (!(action === "set" || action === "rotate" || action === "remove") || provider === undefined) {
    throw new UsageError(`unknown command: sluice key ${action ?? ""}`.trim());
  }
  if (!isProviderId(provider) || provider === "demo") {
    throw new UsageError(`unknown provider "${provider}"; one of ${knownProviders()}`);
  }
  const scope = scopeFromFlags(provider, values);
  const what = describeKey(scope);
  const record = (event: "key.set" | "key.rotated" | "key.removed", extra = {}) =>
    audit?.append({
      actor: "operator",
      event,
      subject: auditSubject(scope),
      details: {
        provider: scope.provider,
        site: scope.siteId ?? "*",
        environment: scope.environment ?? "*",
        ...extra,
      },
    });
  if (action === "remove") {
    const removed = keys.remove(scope);
    if (removed) record("key.removed");
    console.log(removed ? `removed the ${what} key` : `no ${what} key was stored`);
    return 0;
  }
  if (scope.siteId !== null && !sites.list().some((site) => site.id === scope.siteId)) {
    throw new UsageError(`no site "${scope.siteId}"; add it with: sluice site add ${scope.siteId}`);
  }
  const key = (await secretFromFlags(values, "value")) ?? (await readStdin("the key"));
  if (action === "set") {
    keys.set(scope, key);
    record("key.set");
    console.log(`stored the ${what} key in the vault`);
    return 0;
  }
  const graceSeconds = graceFromFlags(values, config.keyGraceSeconds);
  const rotated = keys.rotate(scope, key, graceSeconds * 1000);
  record("key.rotated", { grace_s: rotated.previousUntil === null ? 0 : graceSeconds });
  console.log(
    rotated.previousUntil === null
      ? `rotated the ${what} key; the key it replaced is deleted from the vault`
      : `rotated the ${what} key: new requests use the new key; the key it replaced stays usable until ${iso(rotated.previousUntil)} (${graceSeconds} s), then is deleted: revoke it at the provider after that`,
  );
  return 0;
}

/**
 * One line per stored key: provider, site, environment (`*`: all), when it
 * was set, its age, and a warning when it is older than SLUICE_KEY_MAX_AGE_DAYS
 * or when the key it replaced is still usable. Never a key.
 */
function listKeys(config: GatewayConfig, stored: StoredKey[], json: boolean): void {
  const now = Date.now();
  const rows = stored.map((entry) => ({
    entry,
    age: keyAge(entry.setAt, now, config.keyMaxAgeDays),
  }));
  const overridden = PROVIDER_IDS.filter((id) => id !== "demo" && config.providers[id].apiKey);
  if (json) {
    console.log(
      JSON.stringify(
        {
          environment: config.environment,
          max_age_days: config.keyMaxAgeDays,
          environment_variable_keys: overridden,
          keys: rows.map(({ entry, age }) => ({
            provider: entry.provider,
            site: entry.siteId,
            environment: entry.environment,
            set_at: iso(entry.setAt),
            age_days: age.days,
            over_max_age: age.overMaxAge,
            previous_usable_until: entry.previousUntil === null ? null : iso(entry.previousUntil),
          })),
        },
        null,
        2,
      ),
    );
    return;
  }
  for (const { entry, age } of rows) {
    const notes = [
      ...(age.overMaxAge
        ? [
            `OLDER THAN ${config.keyMaxAgeDays} DAYS (SLUICE_KEY_MAX_AGE_DAYS): rotate it with sluice key rotate ${scopeFlags(entry)}`,
          ]
        : []),
      ...(entry.previousUntil === null
        ? []
        : [`the key it replaced is usable until ${iso(entry.previousUntil)}`]),
    ];
    console.log(
      [
        entry.provider,
        `site ${entry.siteId ?? "*"}`,
        `env ${entry.environment ?? "*"}`,
        `set ${iso(entry.setAt)}`,
        `${age.days} days old`,
        ...notes,
      ].join("\t"),
    );
  }
  for (const id of overridden) {
    console.error(
      `note: SLUICE_${id.toUpperCase()}_API_KEY is set: it serves every site, and no stored ${id} key is used`,
    );
  }
  console.error(
    `note: this environment (SLUICE_ENV) is "${config.environment}"; keys of other environments are never used here`,
  );
}

/** `sluice vault status | rotate-kek`. */
export async function vaultCommand(
  config: GatewayConfig,
  db: Db,
  action: string | undefined,
  values: Flags,
): Promise<number> {
  const settings = vaultSettings(config);
  if (action === "status") {
    const vault = openVault(db, settings);
    const report = vaultReport(db, vault);
    console.log(
      `KEK ${report.kekId} (${report.kekSource})${report.since === undefined ? "" : ` since ${iso(report.since)}`}`,
    );
    console.log(
      `${report.values} sealed values, each under its own data key` +
        (report.legacy > 0 ? ` but ${report.legacy} from before envelope encryption` : ""),
    );
    if (kekMode(settings) === "key-file" && readStagedKeyFile(settings.keyPath) !== undefined) {
      console.log(
        `${stagedKeyPath(settings.keyPath)} holds a KEK an interrupted rotation staged; it is not in use, and the next rotate-kek replaces it`,
      );
    }
    for (const value of report.unreadable) console.error(`unreadable: ${value.reason}`);
    return report.unreadable.length > 0 ? 1 : 0;
  }
  if (action !== "rotate-kek")
    throw new UsageError(`unknown command: sluice vault ${action ?? ""}`.trim());
  let lock: ReturnType<typeof lockDatabase> | undefined;
  try {
    lock = lockDatabase(config.dbPath);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // A running gateway re-reads the key file when the database names a new KEK
    // (ledger/kek-reload.ts); SLUICE_VAULT_KEY or a KEK command would still give it the old one.
    if (kekMode(settings) !== "key-file" || typeof values["new-kek-command"] === "string") {
      throw new UsageError(
        `sluice vault rotate-kek needs the gateway stopped here (its KEK comes from ${kekMode(settings) === "key-file" ? "the key file, and the new one from a command" : kekMode(settings) === "environment" ? "SLUICE_VAULT_KEY" : "SLUICE_VAULT_KEK_COMMAND"}, which it cannot re-read): ${reason}`,
      );
    }
    console.error(
      `sluice: a gateway is serving ${config.dbPath}: it switches to the new KEK by itself once the key file is swapped`,
    );
  }
  try {
    const from = openVault(db, settings);
    const mode = kekMode(settings);
    const next = await newKek(values, mode);
    const to = new Vault(next.key, next.source);
    const crashAt = process.env[CRASH_AT_VARIABLE];
    const keyFile =
      mode === "key-file" && !next.fromCommand
        ? { path: settings.keyPath, key: next.key.toString("base64") }
        : undefined;
    next.key.fill(0);
    const result = rotateKek(db, {
      from,
      to,
      ...(keyFile ? { keyFile } : {}),
      onStep: (step: RotationStep) => {
        if (step === crashAt) process.kill(process.pid, "SIGKILL");
      },
    });
    console.log(
      `re-wrapped ${result.rewrapped} data keys under KEK ${to.kekId} (was ${from.kekId}), their secrets unchanged` +
        (result.upgraded > 0
          ? `; sealed ${result.upgraded} older values under data keys of their own`
          : ""),
    );
    console.log(
      lock === undefined
        ? `the new KEK is in ${settings.keyPath}; back it up. The running gateway uses it from its next request on (its log says so)`
        : nextStep(mode, next, settings.keyPath),
    );
    from.forget();
    to.forget();
    return 0;
  } finally {
    lock?.release();
  }
}

interface NewKek {
  key: Buffer;
  source: string;
  fromCommand: string | undefined;
  fromFile: string | undefined;
}

/** The new KEK: --new-key-file PATH ("-": stdin), --new-kek-command CMD, --generate, or stdin. */
async function newKek(values: Flags, mode: ReturnType<typeof kekMode>): Promise<NewKek> {
  const file = values["new-key-file"];
  const command = values["new-kek-command"];
  const generate = values.generate === true;
  const given = [typeof file === "string", typeof command === "string", generate].filter(Boolean);
  if (given.length > 1) {
    throw new UsageError("give one of --new-key-file, --new-kek-command or --generate");
  }
  if (typeof command === "string") {
    const { key, source } = runKekCommand(command, "--new-kek-command");
    return { key, source, fromCommand: command, fromFile: undefined };
  }
  if (generate) {
    if (mode !== "key-file") {
      throw new UsageError(
        "--generate writes the new KEK to the key file; with SLUICE_VAULT_KEY or SLUICE_VAULT_KEK_COMMAND set, give the new KEK with --new-key-file or --new-kek-command",
      );
    }
    return {
      key: randomBytes(32),
      source: "a generated KEK",
      fromCommand: undefined,
      fromFile: undefined,
    };
  }
  const text =
    typeof file === "string" && file !== "-"
      ? readSecretFile(file, "--new-key-file")
      : await readStdin("the new KEK (32 bytes, base64 or hex)");
  const source = typeof file === "string" && file !== "-" ? file : "standard input";
  return {
    key: decodeKey(text, `the new KEK from ${source}`),
    source: `the new KEK from ${source}`,
    fromCommand: undefined,
    fromFile: typeof file === "string" && file !== "-" ? file : undefined,
  };
}

function nextStep(mode: ReturnType<typeof kekMode>, next: NewKek, keyPath: string): string {
  if (next.fromCommand !== undefined) {
    return `now set SLUICE_VAULT_KEK_COMMAND=${JSON.stringify(next.fromCommand)}${mode === "environment" ? " and unset SLUICE_VAULT_KEY" : ""}, then start the gateway${mode === "key-file" ? `; ${keyPath} holds the old KEK: delete it` : ""}`;
  }
  const orKeyFile = `(or unset it and put the KEK in ${keyPath}, mode 0600)`;
  if (mode === "environment") {
    return `now set SLUICE_VAULT_KEY to the new KEK ${orKeyFile}, then start the gateway: until then nothing can open the vault`;
  }
  if (mode === "command") {
    return `now make SLUICE_VAULT_KEK_COMMAND print the new KEK ${orKeyFile}, then start the gateway: until then nothing can open the vault`;
  }
  return `the new KEK is in ${keyPath}${next.fromFile ? ` (delete ${next.fromFile} unless it is your backup)` : ""}; back it up, then start the gateway`;
}

function scopeFromFlags(provider: ProviderId, values: Flags): KeyScope {
  const scope: KeyScope = { provider, environment: null, siteId: null };
  for (const [flag, field] of [
    ["site", "siteId"],
    ["env", "environment"],
  ] as const) {
    const value = values[flag];
    if (typeof value !== "string") continue;
    if (!isScopeName(value)) {
      throw new UsageError(
        `--${flag} "${value}" is not valid: use 1-64 lowercase letters, digits, ".", "_" or "-"`,
      );
    }
    scope[field] = value;
  }
  return scope;
}

/** --grace-s: whole seconds, 0 to a day; `fallback` when absent. */
export function graceFromFlags(values: Flags, fallback: number): number {
  const raw = values["grace-s"];
  if (typeof raw !== "string") return fallback;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 86_400) {
    throw new UsageError("--grace-s must be a whole number of seconds from 0 to 86400");
  }
  return seconds;
}

/** A key's scope in the audit log: provider/site/environment, "*" for all. */
function auditSubject(scope: KeyScope): string {
  return `${scope.provider}/${scope.siteId ?? "*"}/${scope.environment ?? "*"}`;
}

/** "openai (site blog, environment prod)" as the CLI says it. */
function describeKey(scope: KeyScope): string {
  const parts = [
    ...(scope.siteId === null ? [] : [`site ${scope.siteId}`]),
    ...(scope.environment === null ? [] : [`environment ${scope.environment}`]),
  ];
  return parts.length === 0 ? scope.provider : `${scope.provider} (${parts.join(", ")})`;
}

function knownProviders(): string {
  return PROVIDER_IDS.filter((id) => id !== "demo").join(", ");
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * A secret given as `--<flag> S`, `--<flag> -` (stdin) or `--<flag>-file PATH`
 * ("-" is stdin there too); undefined when none of them is given. Only the
 * first form puts the secret where `ps` and shell history can see it.
 */
export async function secretFromFlags(
  values: Flags,
  flag: "secret" | "value",
): Promise<string | undefined> {
  const inline = values[flag];
  const file = values[`${flag}-file`];
  if (typeof inline === "string" && typeof file === "string") {
    throw new UsageError(`give --${flag} or --${flag}-file, not both`);
  }
  const what = flag === "secret" ? "the secret" : "the key";
  if (file === "-" || inline === "-") return readStdin(what);
  if (typeof file === "string") return readSecretFile(file, `--${flag}-file`);
  return typeof inline === "string" ? inline : undefined;
}

function readSecretFile(path: string, flag: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = error instanceof Error && "code" in error ? String(error.code) : String(error);
    throw new UsageError(`${flag} ${path} cannot be read (${reason})`);
  }
  const secret = text.trim();
  if (secret === "") throw new UsageError(`${flag} ${path} is empty`);
  return secret;
}

export async function readStdin(what: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(`Paste ${what}, then press Ctrl-D: `);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  try {
    return bytes.toString("utf8").trim();
  } finally {
    bytes.fill(0);
    for (const chunk of chunks) chunk.fill(0);
  }
}
