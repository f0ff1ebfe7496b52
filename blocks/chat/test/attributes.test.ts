import { describe, expect, expectTypeOf, test } from "vitest";
import { ATTRIBUTE_DEFAULTS, type ChatAttributes } from "../attributes";
import metadata from "../block.json";

/** The JavaScript type of a value of each block.json attribute type. */
const JS_TYPES: Record<string, string> = {
  string: "string",
  number: "number",
  integer: "number",
  boolean: "boolean",
};

describe("block.json, the one source of the Chat block's attributes", () => {
  test("every attribute has a default of its declared type, so the derived types are right", () => {
    const mismatches = Object.entries(metadata.attributes)
      .filter(([, { type, default: value }]) => typeof value !== JS_TYPES[type])
      .map(
        ([name, { type, default: value }]) => `${name}: ${type}, default ${JSON.stringify(value)}`,
      );
    expect(mismatches).toEqual([]);
  });

  test("the defaults are block.json's", () => {
    expect(Object.keys(ATTRIBUTE_DEFAULTS)).toEqual(Object.keys(metadata.attributes));
    for (const [name, declaration] of Object.entries(metadata.attributes)) {
      expect(ATTRIBUTE_DEFAULTS[name as keyof typeof ATTRIBUTE_DEFAULTS]).toBe(declaration.default);
    }
  });

  test("the attribute types follow block.json", () => {
    expectTypeOf<ChatAttributes["blockId"]>().toEqualTypeOf<string>();
    expectTypeOf<ChatAttributes["systemPrompt"]>().toEqualTypeOf<string>();
    expectTypeOf<ChatAttributes["maxTokens"]>().toEqualTypeOf<number>();
    expectTypeOf<keyof typeof ATTRIBUTE_DEFAULTS>().toEqualTypeOf<
      keyof typeof metadata.attributes
    >();
  });
});
