import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { run } from "../../scripts/wordpress/commands.ts";
import { signatureFor } from "../../server/http/signature.ts";
import { requirePhp, runPhpWithSigner } from "./support/php.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const pluginDir = path.join(repoRoot, "plugin");
const signerFile = path.join(pluginDir, "includes", "class-signer.php");

function phpFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : phpFiles(full);
    return entry.name.endsWith(".php") ? [full] : [];
  });
}

beforeAll(async () => {
  await requirePhp();
});

describe("the plugin's PHP", () => {
  it("passes php -l, every file", async () => {
    const files = [...phpFiles(pluginDir), ...phpFiles(path.join(repoRoot, "test", "plugin"))];
    expect(files.length).toBeGreaterThan(20);
    const failures: string[] = [];
    await Promise.all(
      files.map(async (file) => {
        try {
          await run("php", ["-l", file]);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }),
    );
    expect(failures).toEqual([]);
  });

  it("signs the test vector of docs/wire-format.md", async () => {
    const signature = await runPhpWithSigner(
      signerFile,
      'echo Sluice\\Signer::signature("secret", "GET", "/v1/usage", "1700000000", "abcdefghijklmnop", "");',
    );
    expect(signature).toBe("v1=fda69d19c83612dbce83fbfb5267d55cb900dfb0d6ddedab0297470c32640474");
  });

  it("signs a JSON body with non-ASCII text exactly as the gateway verifies it", async () => {
    const body = JSON.stringify({ messages: [{ role: "user", content: "Grüße — “quoted” 🌊" }] });
    const lines = await runPhpWithSigner(
      signerFile,
      `$signer = new Sluice\\Signer("my-site", "a-secret"); echo implode("\\n", $signer->header_lines("post", "/v1/chat?x=1", base64_decode(${JSON.stringify(Buffer.from(body).toString("base64"))}), 1700000123, "nonce-0123456789abcdef"));`,
    );
    expect(lines.split("\n")).toEqual([
      "X-Sluice-Site: my-site",
      "X-Sluice-Timestamp: 1700000123",
      "X-Sluice-Nonce: nonce-0123456789abcdef",
      `X-Sluice-Signature: ${signatureFor("a-secret", {
        method: "POST",
        path: "/v1/chat?x=1",
        timestamp: "1700000123",
        nonce: "nonce-0123456789abcdef",
        body,
      })}`,
    ]);
  });
});
