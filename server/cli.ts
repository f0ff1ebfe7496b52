import { parseArgs } from "node:util";
import { ConfigError, loadConfig, loadDotEnv } from "./config.ts";
import { signedHeaders } from "./http/signature.ts";
import { openDatabase } from "./ledger/db.ts";
import { SiteError, SiteStore } from "./ledger/sites.ts";
import { isProviderId, PROVIDER_IDS } from "./providers/types.ts";
import { startGateway } from "./serve.ts";
import { ProviderKeyStore } from "./vault/provider-keys.ts";
import { Vault } from "./vault/vault.ts";

const USAGE = `sluice — the Sluice gateway

Usage:
  sluice serve                              start the gateway (SLUICE_PORT, default 8787)
  sluice site add <id> [--secret S]         register a site; prints its shared secret
  sluice site list                          list registered sites
  sluice site rotate-secret <id> [--secret S]
                                            give a site a new secret; prints it
  sluice sign <site> <METHOD> <path> [body]
                                            print signature headers as curl -H flags
  sluice key set <provider> [--value K]     store a provider API key in the encrypted vault
                                            (reads the key from stdin when --value is absent)
  sluice key list                           providers with a stored key (never the keys)
  sluice key remove <provider>              delete a stored key

Providers: ${PROVIDER_IDS.filter((id) => id !== "demo").join(", ")}
Configuration comes from the environment or a .env file; see the README.`;

export class UsageError extends Error {
  override name = "UsageError";
}

export async function main(argv: string[]): Promise<number> {
  loadDotEnv();
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      secret: { type: "string" },
      value: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
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
        console.log(sites.add(name, values.secret));
        return 0;
      }
      if (action === "rotate-secret" && name) {
        console.log(sites.rotateSecret(name, values.secret));
        return 0;
      }
      if (action === "list") {
        for (const site of sites.list()) {
          console.log(
            `${site.id}\tcreated ${new Date(site.createdAt).toISOString()}\tsecret rotated ${new Date(site.secretRotatedAt).toISOString()}`,
          );
        }
        return 0;
      }
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
        keys.set(name, values.value ?? (await readStdin()));
        console.log(`stored the ${name} key in the vault`);
        return 0;
      }
    }
    throw new UsageError(`unknown command: sluice ${positionals.join(" ")}\n\n${USAGE}`);
  } finally {
    db.close();
  }
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("Paste the key, then press Ctrl-D: ");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").trim();
}

/** Runs the CLI and sets the exit code: 2 for a usage or configuration error, 1 for a failure. */
export async function run(argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (error) {
    const known =
      error instanceof UsageError || error instanceof SiteError || error instanceof ConfigError;
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
