import { parseArgs } from "node:util";
import { BudgetGuard } from "./budget/guard.ts";
import { combinePolicies, PolicyStore } from "./budget/policy.ts";
import {
  applyPolicyInput,
  type PolicyInput,
  policyInputSchema,
  policyToJson,
} from "./budget/policy-json.ts";
import { spendAgainstCaps } from "./budget/report.ts";
import { describeIssues } from "./chat/schema.ts";
import { auditCommand } from "./cli-audit.ts";
import {
  graceFromFlags,
  keyCommand,
  secretFromFlags,
  UsageError,
  vaultCommand,
} from "./cli-vault.ts";
import { ConfigError, loadConfig, loadDotEnv } from "./config.ts";
import { signedHeaders } from "./http/signature.ts";
import { issueTicket } from "./http/ticket.ts";
import { AuditLog } from "./ledger/audit.ts";
import { openDatabase } from "./ledger/db.ts";
import { openVault } from "./ledger/kek.ts";
import { DatabaseInUseError } from "./ledger/lock.ts";
import { isSerializedOrigin, SiteError, SiteStore } from "./ledger/sites.ts";
import { UsageReports, usageSummary } from "./ledger/usage.ts";
import { formatUsdFixed } from "./pricing/money.ts";
import { PROVIDER_IDS } from "./providers/types.ts";
import { startGateway } from "./serve.ts";
import { vaultSettings } from "./services.ts";
import { KeyScopeError, ProviderKeyStore } from "./vault/provider-keys.ts";
import { VaultError } from "./vault/vault.ts";

export { UsageError } from "./cli-vault.ts";

const USAGE = `sluice — the Sluice gateway

Usage:
  sluice serve                              start the gateway (SLUICE_PORT, default 8787)
  sluice site add <id> [--secret-file PATH | --secret - | --secret S]
                                            register a site; prints its shared secret
                                            (a new random one unless given; "-" reads stdin)
  sluice site list                          list registered sites (and their origins)
  sluice site set-origins <id> [origin …]   the origins (https://blog.example) whose pages may
                                            read the site's direct chats from another origin
                                            (CORS); none: same-origin pages only
  sluice site rotate-secret <id> [--grace-s N] [--secret-file PATH | --secret - | --secret S]
                                            give a site a new secret; prints it. The old one
                                            still signs for N s (default 0: stops at once)
  sluice policy set <site> [--day-usd N] [--month-usd N] [--visitor-day-usd N]
                    [--request-usd N] [--models provider/model,…] [--timezone TZ]
                    [--soft-threshold 0.8]
                                            set the operator's policy for a site
                                            ("none" clears a cap or the allowlist)
  sluice policy show <site>                 both policy layers, the effective one, spend
  sluice usage <site> [--days N] [--json]   spend by local day and by model (default 7 days)
  sluice sign <site> <METHOD> <path> [body]
                                            print signature headers as curl -H flags
  sluice ticket <site> <origin> <body>      a direct-chat ticket and sealed body as curl flags
                                            (for POST /v1/direct/chat)
  sluice key set <provider> [--site ID] [--env NAME] [--value-file PATH | --value K]
                                            store a provider API key in the encrypted vault for a
                                            scope: one site or all, one environment (SLUICE_ENV) or
                                            all; a request uses the most specific key its scope
                                            allows (site+env, site, env, all). Reads the key from
                                            stdin without --value-file or --value (or with --value -)
  sluice key rotate <provider> [--site ID] [--env NAME] [--grace-s N] [--value-file PATH]
                                            replace a scope's key (the new one from stdin or the
                                            file); the old one stays usable for SLUICE_KEY_GRACE_S
                                            (default 300 s, or --grace-s), then is deleted
  sluice key list [--json]                  stored keys by scope, when set, and those older than
                                            SLUICE_KEY_MAX_AGE_DAYS (never the keys)
  sluice key remove <provider> [--site ID] [--env NAME]
                                            delete the key of exactly that scope
  sluice audit verify [--expect-head MAC]   walk the audit log's MAC chain: names the first broken
                                            row (exit 1), else prints the head MAC to keep elsewhere
  sluice audit list [--since DATE|DURATION] [--json]
                                            the audit log (since 2026-12-01, or 30m, 24h, 7d back)
  sluice vault status                       the KEK's id, and whether every stored secret opens
  sluice vault rotate-kek [--new-key-file PATH | --new-kek-command CMD | --generate]
                                            re-wrap every data key under a new KEK (from the file,
                                            "-" or no option: stdin; the command's output; or a
                                            random one into the key file), in one transaction;
                                            the gateway must be stopped

--secret S and --value K put the secret on the command line, where other users of this
machine can read it (ps, /proc) and your shell history keeps it: prefer --secret-file,
--value-file or stdin.

Providers: ${PROVIDER_IDS.filter((id) => id !== "demo").join(", ")}
Configuration comes from the environment or a .env file; see the README.`;

export async function main(argv: string[]): Promise<number> {
  loadDotEnv();
  const { values, positionals } = parseCommandLine(argv);
  const [command, action, name] = positionals;
  if (values.help || command === undefined || command === "help") {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig();
  if (command === "serve") {
    const gateway = await startGateway(config);
    const stop = () => {
      gateway.close().then(() => process.exit(0));
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    return new Promise<number>(() => {});
  }

  const db = openDatabase(config.dbPath);
  try {
    if (command === "vault") return await vaultCommand(config, db, action, values);
    const vault = openVault(db, vaultSettings(config));
    if (command === "audit") return auditCommand(db, vault, action, values);
    const audit = new AuditLog(db, vault, {
      onError: (error, entry) =>
        console.error(
          `sluice: the audit log did not record ${entry.event}: ${error instanceof Error ? error.message : String(error)}`,
        ),
    });
    if (command === "site") {
      const sites = new SiteStore(db, vault);
      if (action === "add" && name) {
        const secret = sites.add(name, await secretFromFlags(values, "secret"));
        audit.append({ actor: "operator", event: "site.added", subject: name });
        console.log(secret);
        return 0;
      }
      if (action === "rotate-secret" && name) {
        const graceSeconds = graceFromFlags(values, 0);
        const rotated = sites.rotateSecret(
          name,
          await secretFromFlags(values, "secret"),
          graceSeconds * 1000,
        );
        audit.append({
          actor: "operator",
          event: "site.secret_rotated",
          subject: name,
          details: { grace_s: graceSeconds },
        });
        console.log(rotated.secret);
        console.error(
          rotated.previousUntil === null
            ? `sluice: the old secret of ${name} no longer signs anything: put the new one in the site's settings now`
            : `sluice: the old secret of ${name} still signs requests until ${new Date(rotated.previousUntil).toISOString()} (${graceSeconds} s): put the new one in the site's settings before then`,
        );
        return 0;
      }
      if (action === "set-origins" && name) {
        const origins = sites.setOrigins(name, positionals.slice(3));
        audit.append({
          actor: "operator",
          event: "site.origins_set",
          subject: name,
          details: { origins },
        });
        console.log(
          origins.length > 0
            ? `${name}: pages of ${origins.join(", ")} may read its direct chats`
            : `${name}: no other origin may read its direct chats (same-origin pages only)`,
        );
        return 0;
      }
      if (action === "list") {
        for (const site of sites.list()) {
          const origins = sites.origins(site.id);
          console.log(
            `${site.id}\tcreated ${new Date(site.createdAt).toISOString()}\tsecret rotated ${new Date(site.secretRotatedAt).toISOString()}` +
              (origins.length > 0 ? `\torigins ${origins.join(",")}` : ""),
          );
        }
        return 0;
      }
    }
    if (command === "policy" && (action === "set" || action === "show") && name) {
      if (new SiteStore(db, vault).secretFor(name) === undefined) {
        throw new UsageError(`no site "${name}"; add it with: sluice site add ${name}`);
      }
      const policies = new PolicyStore(db);
      if (action === "set") {
        const input = policyInputFromFlags(values);
        const policy = applyPolicyInput(policies.get(name, "operator"), input);
        policies.set(name, "operator", policy);
        audit.append({
          actor: "operator",
          event: "policy.changed",
          subject: name,
          details: { layer: "operator", policy: policyToJson(policy) },
        });
      }
      const operator = policies.get(name, "operator");
      const site = policies.get(name, "site");
      const effective = combinePolicies(operator, site);
      const budget = new BudgetGuard(db, { reservationTtlMs: config.reservationTtlMs });
      console.log(
        JSON.stringify(
          {
            site: name,
            operator: policyToJson(operator),
            site_policy: policyToJson(site),
            effective: policyToJson(effective),
            spend: spendAgainstCaps(budget, name, effective, Date.now()),
          },
          null,
          2,
        ),
      );
      return 0;
    }
    if (command === "usage" && action) {
      if (new SiteStore(db, vault).secretFor(action) === undefined) {
        throw new UsageError(`no site "${action}"; add it with: sluice site add ${action}`);
      }
      const days = Number(values.days ?? "7");
      if (!Number.isInteger(days) || days < 1 || days > 366) {
        throw new UsageError("--days must be a whole number from 1 to 366");
      }
      const { timezone } = new PolicyStore(db).effective(action);
      const summary = usageSummary(
        new UsageReports(db),
        { id: action, timezone },
        days,
        Date.now(),
      );
      console.log(values.json ? JSON.stringify(summary, null, 2) : formatUsage(summary));
      return 0;
    }
    if (command === "sign") {
      const [, siteId, method, path, body = ""] = positionals;
      if (!siteId || !method || !path)
        throw new UsageError("usage: sluice sign <site> <METHOD> <path> [body]");
      const secret = new SiteStore(db, vault).secretFor(siteId);
      if (secret === undefined)
        throw new UsageError(`no site "${siteId}"; add it with: sluice site add ${siteId}`);
      const headers = signedHeaders({ siteId, secret, method, path, body });
      console.log(
        Object.entries(headers)
          .map(([name, value]) => `-H${name}:${value}`)
          .join(" "),
      );
      return 0;
    }
    if (command === "ticket") {
      const [, siteId, origin, body] = positionals;
      if (!siteId || !origin || body === undefined)
        throw new UsageError("usage: sluice ticket <site> <origin> <body>");
      if (!isSerializedOrigin(origin))
        throw new UsageError(
          `not an origin: ${origin} (as a browser sends it: https://blog.example)`,
        );
      const secret = new SiteStore(db, vault).secretFor(siteId);
      if (secret === undefined)
        throw new UsageError(`no site "${siteId}"; add it with: sluice site add ${siteId}`);
      const { ticket, requestBody } = issueTicket({ siteId, secret, origin, body });
      console.log(
        [
          `-HX-Sluice-Ticket:${ticket}`,
          `-HOrigin:${origin}`,
          "-HContent-Type:application/json",
          `-d${requestBody}`,
        ].join(" "),
      );
      return 0;
    }
    if (command === "key") {
      return await keyCommand(
        config,
        new ProviderKeyStore(db, vault),
        new SiteStore(db, vault),
        action,
        name,
        values,
        audit,
      );
    }
    throw new UsageError(`unknown command: sluice ${positionals.join(" ")}\n\n${USAGE}`);
  } finally {
    db.close();
  }
}

/** The operator's policy flags as policy input; "none" clears a value. Validated like the API. */
function policyInputFromFlags(values: Record<string, string | boolean | undefined>): PolicyInput {
  const raw: Record<string, unknown> = {};
  const number = (flag: string, field: string) => {
    const value = values[flag];
    if (typeof value !== "string") return;
    raw[field] = value === "none" ? null : Number(value);
  };
  number("day-usd", "day_usd");
  number("month-usd", "month_usd");
  number("visitor-day-usd", "visitor_day_usd");
  number("request-usd", "request_usd");
  number("soft-threshold", "soft_threshold");
  if (typeof values.models === "string") {
    raw.models =
      values.models === "none"
        ? null
        : values.models
            .split(",")
            .map((id) => id.trim())
            .filter(Boolean);
  }
  if (typeof values.timezone === "string") raw.timezone = values.timezone;
  const result = policyInputSchema.safeParse(raw);
  if (!result.success) {
    const message = describeIssues(result.error).replaceAll(
      /\b(day|month|visitor_day|request)_usd\b/g,
      (field) => `--${field.replace("_usd", "-usd").replace("_", "-")}`,
    );
    throw new UsageError(message);
  }
  return result.data;
}

/** `sluice usage` as text: one line per day, then per model, per source, then the total. */
function formatUsage(summary: ReturnType<typeof usageSummary>): string {
  const line = (label: string, ...cells: string[]) =>
    [
      label.padEnd(34),
      ...cells.map((cell, index) => cell.padStart([8, 12, 12, 14][index] ?? 0)),
    ].join(" ");
  const row = (label: string, totals: (typeof summary)["total"]) =>
    line(
      label,
      String(totals.requests),
      String(totals.input_tokens),
      String(totals.output_tokens),
      formatUsdFixed(totals.cost_picousd, 6),
    );
  return [
    `site ${summary.site}, ${summary.from} to ${summary.to} (${summary.timezone})`,
    line("", "requests", "input tok", "output tok", "cost"),
    ...summary.by_day.map((day) => row(day.day, day)),
    "",
    ...summary.by_model.map((model) => row(`${model.provider}/${model.model}`, model)),
    "",
    // Who asked: the Chat block (no source), or a plugin or theme through WordPress's AI Client.
    ...summary.by_source.map((source) => row(source.source ?? "chat block", source)),
    row("total", summary.total),
  ].join("\n");
}

/** Parses the command line; a malformed option is a usage error, not a crash. */
function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        secret: { type: "string" },
        "secret-file": { type: "string" },
        value: { type: "string" },
        "value-file": { type: "string" },
        site: { type: "string" },
        env: { type: "string" },
        "grace-s": { type: "string" },
        "new-key-file": { type: "string" },
        "new-kek-command": { type: "string" },
        since: { type: "string" },
        "expect-head": { type: "string" },
        generate: { type: "boolean" },
        "day-usd": { type: "string" },
        "month-usd": { type: "string" },
        "visitor-day-usd": { type: "string" },
        "request-usd": { type: "string" },
        models: { type: "string" },
        timezone: { type: "string" },
        "soft-threshold": { type: "string" },
        days: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Runs the CLI and sets the exit code: 2 for a usage or configuration error, 1 for a failure. */
export async function run(argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (error) {
    const known =
      error instanceof UsageError ||
      error instanceof SiteError ||
      error instanceof ConfigError ||
      error instanceof DatabaseInUseError ||
      error instanceof VaultError ||
      error instanceof KeyScopeError;
    const text =
      error instanceof Error
        ? known
          ? error.message
          : (error.stack ?? error.message)
        : String(error);
    console.error(`sluice: ${text}`);
    process.exitCode = known ? 2 : 1;
  }
}
