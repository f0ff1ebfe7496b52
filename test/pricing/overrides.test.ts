import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { costOf } from "../../server/pricing/cost.ts";
import { PriceOverridesError } from "../../server/pricing/overrides.ts";
import { loadPriceBook, readCommittedTable } from "../../server/pricing/prices.ts";

const dir = mkdtempSync(join(tmpdir(), "sluice-overrides-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const table = readCommittedTable();

function writeOverrides(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

describe("SLUICE_PRICES_FILE overrides", () => {
  it("prices a model litellm does not have", () => {
    const path = writeOverrides("good.json", {
      "huggingface/meta-llama/Llama-3.1-8B-Instruct": {
        input_usd_per_million: 0.2,
        output_usd_per_million: 0.6,
        max_input_tokens: 128000,
      },
      "openai/gpt-4o-mini": {
        input_usd_per_million: 1,
        output_usd_per_million: 2,
        cache_read_usd_per_million: 0.5,
      },
    });
    const book = loadPriceBook({ table, env: { SLUICE_PRICES_FILE: path } });

    const llama = book.find("huggingface", "meta-llama/Llama-3.1-8B-Instruct");
    expect(llama).toMatchObject({
      id: "huggingface/meta-llama/Llama-3.1-8B-Instruct",
      provider: "huggingface",
      model: "meta-llama/Llama-3.1-8B-Instruct",
      rates: { input: 200000, output: 600000 },
      maxInputTokens: 128000,
      maxOutputTokens: null,
      origin: "override",
    });
    const usage = {
      inputTokens: 10,
      outputTokens: 5,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    };
    expect(costOf("huggingface", "meta-llama/Llama-3.1-8B-Instruct", usage, book)).toMatchObject({
      costPicoUsd: 10 * 200000 + 5 * 600000,
      priced: true,
    });
    expect(book.find("openai", "gpt-4o-mini")?.rates).toEqual({
      input: 1000000,
      output: 2000000,
      cacheRead: 500000,
    });
    expect(
      book.list().some((price) => price.id === "huggingface/meta-llama/Llama-3.1-8B-Instruct"),
    ).toBe(true);
  });

  it("rejects a bad file with a clear error", () => {
    const badShape = writeOverrides("bad-shape.json", {
      "huggingface/some/model": { input_usd_per_million: "cheap", output_usd_per_million: 1 },
    });
    expect(() => loadPriceBook({ table, env: { SLUICE_PRICES_FILE: badShape } })).toThrow(
      PriceOverridesError,
    );
    expect(() => loadPriceBook({ table, env: { SLUICE_PRICES_FILE: badShape } })).toThrow(
      /input_usd_per_million/,
    );

    const badKey = writeOverrides("bad-key.json", {
      "nowhere/model": { input_usd_per_million: 1, output_usd_per_million: 1 },
    });
    expect(() => loadPriceBook({ table, env: { SLUICE_PRICES_FILE: badKey } })).toThrow(
      /known provider/,
    );

    const unknownField = writeOverrides("unknown-field.json", {
      "huggingface/x/y": {
        input_usd_per_million: 1,
        output_usd_per_million: 1,
        input_per_token: 1,
      },
    });
    expect(() => loadPriceBook({ table, env: { SLUICE_PRICES_FILE: unknownField } })).toThrow(
      /input_per_token/,
    );

    const notJson = writeOverrides("not-json.json", "{ nope");
    expect(() => loadPriceBook({ table, env: { SLUICE_PRICES_FILE: notJson } })).toThrow(
      /not valid JSON/,
    );
    expect(() =>
      loadPriceBook({ table, env: { SLUICE_PRICES_FILE: join(dir, "missing.json") } }),
    ).toThrow(/cannot read/);
  });
});
