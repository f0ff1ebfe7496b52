import { readFileSync } from "node:fs";
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
import { ConfigError, loadConfig, loadDotEnv } from "./config.ts";
import { signedHeaders } from "./http/signature.ts";
import { issueTicket } from "./http/ticket.ts";
import { openDatabase } from "./ledger/db.ts";
import { DatabaseInUseError } from "./ledger/lock.ts";
import { isSerializedOrigin, SiteError, SiteStore } from "./ledger/sites.ts";
import { UsageReports, usageSummary } from "./ledger/usage.ts";
import { formatUsdFixed } from "./pricing/money.ts";
import { isProviderId, PROVIDER_IDS } from "./providers/types.ts";
import { startGateway } from "./serve.ts";
import { ProviderKeyStore } from "./vault/provider-keys.ts";
import { Vault, VaultError } from "./vault/vault.ts";

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
  sluice site rotate-secret <id> [--secret-file PATH | --secret - | --secret S]
                                            give a site a new secret; prints it
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
  sluice key set <provider> [--value-file PATH | --value K]
                                            store a provider API key in the encrypted vault
                                            (reads the key from stdin without either, or with --value -)
  sluice key list                           providers with a stored key (never the keys)
  sluice key remove <provider>              delete a stored key

--secret S and --value K put the secret on the command line, where other users of this
machine can read it (ps, /proc) and your shell history keeps it: prefer --secret-file,
--value-file or stdin.

Providers: ${PROVIDER_IDS.filter((id) => id !== "demo").join(", ")}
Configuration comes from the environment or a .env file; see the README.`;

export class UsageError extends Error {
  override name = "UsageError";
}

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
  const vault = Vault.open({ key: config.vaultKey, keyPath: config.vaultKeyPath });
  try {
    if (command === "site") {
      const sites = new SiteStore(db, vault);
      if (action === "add" && name) {
        console.log(sites.add(name, await secretFromFlags(values, "secret")));
        return 0;
      }
      if (action === "rotate-secret" && name) {
        console.log(sites.rotateSecret(name, await secretFromFlags(values, "secret")));
        return 0;
      }
      if (action === "set-origins" && name) {
        const origins = sites.setOrigins(name, positionals.slice(3));
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
        policies.set(name, "operator", applyPolicyInput(policies.get(name, "operator"), input));
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
      const keys = new ProviderKeyStore(db, vault);
      if (action === "list") {
        for (const entry of keys.list()) {
          console.log(`${entry.provider}\tstored ${new Date(entry.updatedAt).toISOString()}`);
        }
        return 0;
      }
      if ((action === "set" || action === "remove") && name) {
        if (!isProviderId(name) || name === "demo") {
          throw new UsageError(`unknown provider "${name}"; one of ${PROVIDER_IDS.join(", ")}`);
        }
        if (action === "remove") {
          console.log(keys.remove(name) ? `removed the ${name} key` : `no ${name} key was stored`);
          return 0;
        }
        keys.set(name, (await secretFromFlags(values, "value")) ?? (await readStdin("the key")));
        console.log(`stored the ${name} key in the vault`);
        return 0;
      }
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

/**
 * A secret given as `--<flag> S`, `--<flag> -` (stdin) or `--<flag>-file PATH`
 * ("-" is stdin there too); undefined when none of them is given. Only the
 * first form puts the secret where `ps` and shell history can see it.
 */
async function secretFromFlags(
  values: { [flag: string]: string | boolean | undefined },
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

async function readStdin(what: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(`Paste ${what}, then press Ctrl-D: `);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").trim();
}

/** `sluice usage` as text: one line per day, then per model, then the total. */
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
      error instanceof VaultError;
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
