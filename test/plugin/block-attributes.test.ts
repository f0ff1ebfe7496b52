import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { run } from "../../scripts/wordpress/commands.ts";
import { requirePhp } from "./support/php.ts";

/**
 * blocks/chat/block.json is the one source of the Chat block's attributes. PHP
 * reads it at run time through the block's registration (Block_Locator::defaults());
 * these check the copies that cannot read it: the defaults PHP falls back to when
 * the build is missing, and the contract's table.
 */

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const blockJson = JSON.parse(
  readFileSync(path.join(repoRoot, "blocks", "chat", "block.json"), "utf8"),
) as { attributes: Record<string, { type: string; default: unknown }> };
const declaredDefaults = Object.fromEntries(
  Object.entries(blockJson.attributes).map(([name, declaration]) => [name, declaration.default]),
);

beforeAll(async () => {
  await requirePhp();
});

describe("the Chat block's attributes", () => {
  it("PHP's fallback defaults (no build, no registered block type) are block.json's", async () => {
    const locator = path.join(repoRoot, "plugin", "includes", "class-block-locator.php");
    const { stdout } = await run("php", [
      "-r",
      `define("ABSPATH", "/"); require ${JSON.stringify(locator)};` +
        ` echo json_encode((new ReflectionClassConstant("Sluice\\\\Block_Locator", "DEFAULTS"))->getValue());`,
    ]);
    expect(JSON.parse(stdout)).toEqual(declaredDefaults);
  });

  it("docs/wordpress-contract.md lists each one with block.json's type and default", () => {
    const contract = readFileSync(path.join(repoRoot, "docs", "wordpress-contract.md"), "utf8");
    const section = contract.slice(contract.indexOf("## Block `sluice/chat`"));
    const rows = [...section.matchAll(/^\| `(\w+)` +\| (\w+) +\| `([^`]*)` +\|/gm)].map(
      ([, name, type, value]) => [name, { type, default: JSON.parse(value ?? "") }],
    );
    expect(Object.fromEntries(rows)).toEqual(blockJson.attributes);
  });
});
