import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.ts";
import { openDatabase } from "../../server/ledger/db.ts";
import { openVault, ROTATION_STEPS, recordedKekId } from "../../server/ledger/kek.ts";
import { vaultSettings } from "../../server/services.ts";
import { Vault } from "../../server/vault/vault.ts";
import { type RecordingUpstream, startRecordingUpstream } from "../support/recording-upstream.ts";
import {
  EXPECTED,
  runSluice,
  SITES,
  seedVault,
  startSiteGateway,
  storedSecrets,
  testEnv,
} from "../support/vault-fixture.ts";

/**
 * `sluice vault rotate-kek` in its own process, on a vault with keys for three
 * sites and two environments. SLUICE_TEST_CRASH_AT (a test hook) makes it kill
 * itself with SIGKILL right after a step; whatever the step, every secret must
 * still open, unchanged.
 */

const tempDirs: string[] = [];
function seededDir(env: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "sluice-rotate-kek-"));
  tempDirs.push(dir);
  seedVault(dir, env);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** The KEK id the database records, and the KEK id of the key file (and of the staged one). */
function kekState(dir: string) {
  const db = openDatabase(join(dir, "sluice.db"));
  try {
    const idOf = (path: string) =>
      existsSync(path)
        ? new Vault(Buffer.from(readFileSync(path, "utf8").trim(), "base64")).kekId
        : undefined;
    return {
      recorded: recordedKekId(db),
      keyFile: idOf(join(dir, "vault.key")),
      staged: idOf(join(dir, "vault.key.next")),
    };
  } finally {
    db.close();
  }
}

describe("a crash in the middle of sluice vault rotate-kek", () => {
  for (const step of ROTATION_STEPS) {
    it(`leaves every secret readable and unchanged when killed after "${step}"`, () => {
      const dir = seededDir();
      const secrets = storedSecrets(dir);
      expect(secrets).toHaveLength(SITES.length + 5);
      const before = kekState(dir);

      const crashed = runSluice(dir, ["vault", "rotate-kek", "--generate"], {
        env: { SLUICE_TEST_CRASH_AT: step },
      });
      expect(crashed.signal).toBe("SIGKILL");
      const after = kekState(dir);
      const committed = step === "committed" || step === "swapped";
      // Before the commit the database still names the old KEK, after it the new one.
      expect(after.recorded === before.recorded).toBe(!committed);
      if (step === "committed") {
        // The new KEK is only in the staged file: the old one is still the key file.
        expect(after.staged).toBe(after.recorded);
        expect(after.keyFile).toBe(before.keyFile);
      }

      // A fresh process opens every secret (and finishes an interrupted swap).
      const status = runSluice(dir, ["vault", "status"]);
      expect(status.stderr).toBe("");
      expect(status.status).toBe(0);
      expect(status.stdout).toContain(`KEK ${after.recorded} (the vault key file`);
      expect(status.stdout).toContain(
        `${secrets.length} sealed values, each under its own data key`,
      );
      expect(storedSecrets(dir)).toEqual(secrets);
      const healed = kekState(dir);
      expect(healed.keyFile).toBe(healed.recorded);
      expect(healed.staged).toBe(committed ? undefined : after.staged);

      // Rotating again completes, and still changes no secret.
      const again = runSluice(dir, ["vault", "rotate-kek", "--generate"]);
      expect(again.stderr).toBe("");
      expect(again.status).toBe(0);
      expect(again.stdout).toContain(`re-wrapped ${secrets.length} data keys under KEK`);
      const final = kekState(dir);
      expect(final.recorded).not.toBe(healed.recorded);
      expect(final).toEqual({
        recorded: final.keyFile,
        keyFile: final.recorded,
        staged: undefined,
      });
      expect(storedSecrets(dir)).toEqual(secrets);
    });
  }
});

describe("sluice vault rotate-kek", () => {
  let upstream: RecordingUpstream;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
  });
  afterAll(() => upstream.close());

  it("leaves every request of three sites in two environments working, with the same keys", async () => {
    const dir = seededDir();
    const serveAll = async () => {
      const seen: Record<string, Record<string, string | undefined>> = {};
      for (const environment of ["prod", "staging"]) {
        const gateway = await startSiteGateway(dir, {
          SLUICE_ENV: environment,
          SLUICE_OPENAI_BASE_URL: upstream.baseUrl,
        });
        try {
          seen[environment] = {};
          for (const site of SITES) {
            // Signed with the site's secret: the gateway opened it to check the signature.
            const answer = await gateway.ask(site);
            expect(answer.status).toBe(200);
            (seen[environment] as Record<string, string | undefined>)[site] = upstream.keys.at(-1);
          }
        } finally {
          await gateway.close();
        }
      }
      return seen;
    };
    const expected = { prod: EXPECTED.prod, staging: EXPECTED.staging };
    expect(await serveAll()).toEqual(expected);
    const rotated = runSluice(dir, ["vault", "rotate-kek", "--generate"]);
    expect(rotated.status).toBe(0);
    expect(await serveAll()).toEqual(expected);
  });

  it("under a running gateway (key file): the gateway follows the new KEK, every request keeps working", async () => {
    const dir = seededDir();
    const before = kekState(dir);
    const gateway = await startSiteGateway(dir, {
      SLUICE_ENV: "prod",
      SLUICE_OPENAI_BASE_URL: upstream.baseUrl,
    });
    try {
      const served = async () => {
        const seen: Record<string, string | undefined> = {};
        for (const site of SITES) {
          expect((await gateway.ask(site)).status).toBe(200);
          seen[site] = upstream.keys.at(-1);
        }
        return seen;
      };
      expect(await served()).toEqual(EXPECTED.prod);
      const rotated = runSluice(dir, ["vault", "rotate-kek", "--generate"]);
      expect(rotated.status, rotated.stderr).toBe(0);
      expect(rotated.stderr).toContain("it switches to the new KEK by itself");
      expect(rotated.stdout).toContain("The running gateway uses it from its next request on");
      const after = kekState(dir);
      expect(after.recorded).not.toBe(before.recorded);
      expect(after).toEqual({
        recorded: after.keyFile,
        keyFile: after.recorded,
        staged: undefined,
      });

      // The next requests open secrets sealed under the new KEK: same keys, no restart.
      expect(await served()).toEqual(EXPECTED.prod);
      expect(gateway.services.vault.kekId).toBe(after.recorded);
      // A rejected signature is audited by the running gateway, under the new KEK's key.
      const forged = await fetch(`${gateway.url}/v1/models`, {
        headers: {
          "X-Sluice-Site": "blog",
          "X-Sluice-Timestamp": String(Math.floor(Date.now() / 1000)),
          "X-Sluice-Nonce": "forged-nonce-0000000001",
          "X-Sluice-Signature": `v1=${"0".repeat(64)}`,
        },
      });
      expect(forged.status).toBe(401);
    } finally {
      await gateway.close();
    }
    const verified = runSluice(dir, ["audit", "verify"]);
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
    const db = openDatabase(join(dir, "sluice.db"));
    try {
      const last = db
        .prepare("SELECT event, kek_id FROM audit_log ORDER BY id DESC LIMIT 1")
        .get() as { event: string; kek_id: string };
      expect(last).toEqual({ event: "signature.rejected", kek_id: kekState(dir).recorded });
    } finally {
      db.close();
    }
    expect(storedSecrets(dir).length).toBeGreaterThan(0);
  });

  it("refuses to run under a running gateway whose KEK comes from SLUICE_VAULT_KEY", async () => {
    const oldKey = randomBytes(32).toString("base64");
    const dir = seededDir({ SLUICE_VAULT_KEY: oldKey });
    const before = kekState(dir);
    const gateway = await startSiteGateway(dir, { SLUICE_VAULT_KEY: oldKey });
    try {
      const refused = runSluice(dir, ["vault", "rotate-kek"], {
        env: { SLUICE_VAULT_KEY: oldKey },
        input: `${randomBytes(32).toString("hex")}\n`,
      });
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(
        /^sluice: sluice vault rotate-kek needs the gateway stopped here \(its KEK comes from SLUICE_VAULT_KEY, which it cannot re-read\): another gateway is already serving/,
      );
      expect(kekState(dir)).toEqual(before);
    } finally {
      await gateway.close();
    }
  });

  it("with SLUICE_VAULT_KEY: re-wraps under the KEK from stdin; the old KEK is then refused, naming both", () => {
    const oldKey = randomBytes(32).toString("base64");
    const newKey = randomBytes(32).toString("hex");
    const dir = seededDir({ SLUICE_VAULT_KEY: oldKey });
    const secrets = storedSecrets(dir, { SLUICE_VAULT_KEY: oldKey });
    const rotated = runSluice(dir, ["vault", "rotate-kek"], {
      env: { SLUICE_VAULT_KEY: oldKey },
      input: `${newKey}\n`,
    });
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toContain("now set SLUICE_VAULT_KEY to the new KEK");
    expect(`${rotated.stdout}${rotated.stderr}`).not.toContain(newKey);
    expect(existsSync(join(dir, "vault.key"))).toBe(false);

    const stale = runSluice(dir, ["vault", "status"], { env: { SLUICE_VAULT_KEY: oldKey } });
    expect(stale.status).toBe(2);
    const [oldId, newId] = [oldKey, newKey].map((key) => new Vault(decode(key)).kekId);
    expect(stale.stderr).toBe(
      `sluice: the vault's data keys are sealed under KEK ${newId}, but SLUICE_VAULT_KEY is KEK ${oldId}: set SLUICE_VAULT_KEY to the KEK given to sluice vault rotate-kek\n`,
    );
    expect(storedSecrets(dir, { SLUICE_VAULT_KEY: newKey })).toEqual(secrets);
  });

  it("moves the KEK from the key file to a command (--new-kek-command), run without a shell", () => {
    const dir = seededDir();
    const secrets = storedSecrets(dir);
    const kekFile = join(dir, "kms kek.b64");
    writeFileSync(kekFile, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
    const command = `cat '${kekFile}'`;
    const rotated = runSluice(dir, ["vault", "rotate-kek", "--new-kek-command", command]);
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toContain(`now set SLUICE_VAULT_KEK_COMMAND=${JSON.stringify(command)}`);
    const fromCommand = { SLUICE_VAULT_KEK_COMMAND: command };
    expect(runSluice(dir, ["vault", "status"], { env: fromCommand }).status).toBe(0);
    expect(storedSecrets(dir, fromCommand)).toEqual(secrets);
    // The old key file no longer opens the vault; a failing command stops start-up.
    expect(runSluice(dir, ["vault", "status"]).stderr).toMatch(
      /but the vault key file .* is KEK [0-9a-f]{16}: restore the key file from your backup/,
    );
    const failing = runSluice(dir, ["key", "list"], {
      env: { SLUICE_VAULT_KEK_COMMAND: `cat '${join(dir, "missing.b64")}'` },
    });
    expect(failing.status).toBe(2);
    expect(failing.stderr).toMatch(
      /^sluice: SLUICE_VAULT_KEK_COMMAND \(cat\) failed: exit status 1: cat: .*missing\.b64: No such file or directory\n$/,
    );
  });

  it("refuses a new KEK that is the current one, or two sources for it", () => {
    const dir = seededDir();
    const current = readFileSync(join(dir, "vault.key"), "utf8");
    const same = runSluice(dir, ["vault", "rotate-kek"], { input: current });
    expect(same.status).toBe(2);
    expect(same.stderr).toMatch(/the new KEK is the current one/);
    const both = runSluice(dir, ["vault", "rotate-kek", "--generate", "--new-key-file", "-"]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain("give one of --new-key-file, --new-kek-command or --generate");
    const config = loadConfig(testEnv(dir));
    const db = openDatabase(config.dbPath);
    expect(openVault(db, vaultSettings(config)).kekId).toBe(kekState(dir).keyFile);
    db.close();
  });
});

function decode(key: string): Buffer {
  return /^[0-9a-f]{64}$/.test(key) ? Buffer.from(key, "hex") : Buffer.from(key, "base64");
}
