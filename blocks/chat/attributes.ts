import metadata from "./block.json";

/**
 * The attributes of sluice/chat come from block.json alone: its `attributes` are
 * the names, their defaults give the types, and PHP reads the same file through
 * the block's registration (test/plugin/block-attributes.test.ts checks the copy
 * PHP keeps for a missing build).
 */
type Declared = typeof metadata.attributes;

type Defaults = { [Name in keyof Declared]: Declared[Name]["default"] };

/** What a saved block holds, each attribute typed as its block.json default. */
export type ChatAttributes = Defaults & Record<string, unknown>;

/** Each attribute's value when the editor saved none (WordPress saves only changed ones). */
export const ATTRIBUTE_DEFAULTS = Object.fromEntries(
  Object.entries(metadata.attributes).map(([name, declaration]) => [name, declaration.default]),
) as Defaults;
