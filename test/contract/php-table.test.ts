import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { ERROR_CODES, RELAYED_GATEWAY_PREFIX } from "../../contract/error-codes.ts";
import {
  PHP_TABLE_PATH,
  phpConstantName,
  renderErrorCodesPhp,
} from "../../scripts/contract/php-table.ts";
import { requirePhp, runPhpWithSigner } from "../plugin/support/php.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const tableFile = path.join(repoRoot, PHP_TABLE_PATH);

/** The plugin's PHP files but the generated table, and the block's render.php. */
function pluginPhpFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === "build" ? [] : walk(full);
      return entry.name.endsWith(".php") ? [full] : [];
    });
  return [...walk(path.join(repoRoot, "plugin")), path.join(repoRoot, "blocks/chat/render.php")]
    .filter((file) => file !== tableFile)
    .sort();
}

function relative(file: string): string {
  return path.relative(repoRoot, file);
}

beforeAll(async () => {
  await requirePhp();
});

describe(`${PHP_TABLE_PATH} (contract/error-codes.ts for PHP)`, () => {
  it("is the table as scripts/contract/write-php.ts writes it", () => {
    // When this fails, rewrite it:  node --import tsx scripts/contract/write-php.ts
    expect(readFileSync(tableFile, "utf8")).toBe(renderErrorCodesPhp());
  });

  it("gives PHP each code's constant, status, emitter and visitor flag", async () => {
    const printed = await runPhpWithSigner(
      tableFile,
      `$constants = array(); foreach ( array_keys( Sluice\\Error_Codes::TABLE ) as $code ) { $constants[ $code ] = constant( 'Sluice\\Error_Codes::' . strtoupper( $code ) ); }
       echo json_encode( array( 'prefix' => Sluice\\Error_Codes::GATEWAY_PREFIX, 'table' => Sluice\\Error_Codes::TABLE, 'constants' => $constants, 'status' => Sluice\\Error_Codes::status( Sluice\\Error_Codes::SLUICE_CHAT_OFF ) ) );`,
    );
    const read = JSON.parse(printed) as {
      prefix: string;
      table: Record<string, unknown>;
      constants: Record<string, string>;
      status: number;
    };
    expect(read.prefix).toBe(RELAYED_GATEWAY_PREFIX);
    expect(read.table).toEqual(
      Object.fromEntries(
        Object.entries(ERROR_CODES).map(([code, row]) => [
          code,
          {
            status: row.status,
            emitter: row.emitter,
            visitor_may_see_message: row.visitorMaySeeMessage,
          },
        ]),
      ),
    );
    expect(read.constants).toEqual(
      Object.fromEntries(Object.keys(ERROR_CODES).map((code) => [code, code])),
    );
    expect(read.status).toBe(ERROR_CODES.sluice_chat_off.status);
  });
});

describe("the plugin's error codes come from Error_Codes", () => {
  const files = pluginPhpFiles().map((file) => ({ file, text: readFileSync(file, "utf8") }));

  it("reads the plugin's PHP", () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it("builds no WP_Error from a literal code", () => {
    const literal = /new\s+WP_Error\s*\(\s*['"]\w+['"]\s*,/g;
    const found = files.flatMap(({ file, text }) =>
      [...text.matchAll(literal)].map(
        (match) => `${relative(file)}:${text.slice(0, match.index).split("\n").length}`,
      ),
    );
    expect(
      found,
      "use Error_Codes::wp_error( Error_Codes::… ) or add the code to the contract",
    ).toEqual([]);
  });

  it("writes no code of the table as a string: each is an Error_Codes constant", () => {
    const found = files.flatMap(({ file, text }) =>
      Object.keys(ERROR_CODES)
        .filter((code) => new RegExp(`['"]${code}['"]`).test(text))
        .map((code) => `${relative(file)}: '${code}'`),
    );
    expect(found).toEqual([]);
  });

  it("names only constants and methods Error_Codes has", () => {
    const known = new Set([
      "GATEWAY_PREFIX",
      "TABLE",
      "status",
      "wp_error",
      ...Object.keys(ERROR_CODES).map(phpConstantName),
    ]);
    const used = files.flatMap(({ file, text }) =>
      [...text.matchAll(/Error_Codes::(\w+)/g)].map((match) => ({ file, name: match[1] ?? "" })),
    );
    expect(used.length).toBeGreaterThan(10);
    expect(
      used
        .filter(({ name }) => !known.has(name))
        .map(({ file, name }) => `${relative(file)}: ${name}`),
    ).toEqual([]);
  });
});
