import { describe, expect, test } from "vitest";
import { BLOCK_ID_LENGTH, BlockIdClaims, generateBlockId } from "../editor/block-id";
import { formatUsd, modelLabel, modelOptions, readModels } from "../editor/model-options";

describe("block ids", () => {
  test("are 16 random lowercase letters and digits", () => {
    const id = generateBlockId();
    expect(id).toMatch(new RegExp(`^[a-z0-9]{${BLOCK_ID_LENGTH}}$`));
    expect(generateBlockId()).not.toBe(id);
  });

  test("a copy that mounts with a taken id is refused; the original keeps it", () => {
    const claims = new BlockIdClaims();
    expect(claims.claim("abc", "client-1")).toBe(true);
    expect(claims.claim("abc", "client-1")).toBe(true);
    expect(claims.claim("abc", "client-2")).toBe(false);
    claims.release("abc", "client-2"); // not the holder: no effect
    expect(claims.claim("abc", "client-3")).toBe(false);
    claims.release("abc", "client-1");
    expect(claims.claim("abc", "client-3")).toBe(true);
  });
});

describe("model options", () => {
  const payload = {
    object: "list",
    data: [
      {
        id: "openai/gpt-4o-mini",
        input_usd_per_million: 0.15,
        output_usd_per_million: 0.6,
        max_output_tokens: 16384,
      },
      { id: "demo/sluice-demo", input_usd_per_million: 0.075, output_usd_per_million: 0.3 },
      { nope: true },
    ],
  };

  test("reads the gateway's list and puts auto first, with prices per million tokens", () => {
    const options = modelOptions(readModels(payload), "auto");
    expect(options.map((option) => option.value)).toEqual([
      "auto",
      "demo/sluice-demo",
      "openai/gpt-4o-mini",
    ]);
    expect(options[2]?.label).toBe("openai/gpt-4o-mini ($0.15 / $0.60 per 1M tokens)");
  });

  test("keeps a saved model the gateway no longer offers", () => {
    const options = modelOptions([], "anthropic/claude-old");
    expect(options.at(-1)).toEqual({
      value: "anthropic/claude-old",
      label: "anthropic/claude-old (not offered by the gateway)",
    });
  });

  test("prices", () => {
    expect(formatUsd(0.15)).toBe("$0.15");
    expect(formatUsd(0.075)).toBe("$0.075");
    expect(formatUsd(15)).toBe("$15");
    expect(formatUsd(2.5)).toBe("$2.50");
    expect(formatUsd(0)).toBe("$0");
    expect(modelLabel({ id: "x/unpriced" })).toBe("x/unpriced");
  });

  test("refuses an answer that is not a list", () => {
    expect(() => readModels({ error: "nope" })).toThrow();
    expect(readModels([{ id: "a/b" }])).toEqual([{ id: "a/b" }]);
  });
});
