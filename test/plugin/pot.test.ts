import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  collectMessages,
  extractFromSource,
  type Message,
  pluginVersion,
  renderPot,
} from "./support/pot.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** Whether a .pot entry comes (also) from a PHP file or a block.json. */
function fromPhpOrBlockJson(entry: string): boolean {
  return /^#: .*\.(php|json)(:\d+)?( |$)/m.test(entry);
}

/** The entries of a .pot as "context | msgid | plural" lines, sorted. */
function potStrings(pot: string, keep: (entry: string) => boolean): string[] {
  return pot
    .split(/\n\n+/)
    .filter((entry) => /^msgid "./m.test(entry) && keep(entry))
    .map((entry) => {
      const field = (name: string) => new RegExp(`^${name} (".*")$`, "m").exec(entry)?.[1] ?? "";
      return [field("msgctxt"), field("msgid"), field("msgid_plural")].join(" | ");
    })
    .sort();
}

describe("plugin/languages/sluice.pot", () => {
  it("holds every translatable string of the plugin's PHP and block.json, and no stale one", () => {
    const written = readFileSync(path.join(repoRoot, "plugin", "languages", "sluice.pot"), "utf8");
    const expected = renderPot(collectMessages(repoRoot), pluginVersion(repoRoot));
    // References (file:line) and comments may drift; the strings themselves may not.
    // The blocks' TypeScript strings are written too but not held to it here: they change
    // with the blocks' own work. When this fails, regenerate the template:
    //   node --import tsx test/plugin/write-pot.ts
    expect(potStrings(written, fromPhpOrBlockJson)).toEqual(
      potStrings(expected, fromPhpOrBlockJson),
    );
  });

  it("reads PHP and TypeScript calls, plurals, contexts and translators comments", () => {
    const messages = new Map<string, Message>();
    extractFromSource(
      [
        "<?php",
        "/* translators: %d: seconds. */",
        "sprintf( _n( 'Wait %d second.', 'Wait %d seconds.', $wait, 'sluice' ), $wait );",
        "__( 'It\\'s \"quoted\"', 'sluice' );",
        "__( 'Another domain', 'other' );",
        "esc_html_x( 'Post', 'noun', 'sluice' );",
        'const text = __("From TS, (with parens)", "sluice");',
      ].join("\n"),
      "example.php",
      messages,
    );
    const found = [...messages.values()].map(
      ({ msgid, plural, context, comments, references }) => ({
        msgid,
        plural,
        context,
        comments: [...comments],
        references: [...references],
      }),
    );
    expect(found).toEqual([
      {
        msgid: "Wait %d second.",
        plural: "Wait %d seconds.",
        context: undefined,
        comments: ["translators: %d: seconds."],
        references: ["example.php:3"],
      },
      {
        msgid: 'It\'s "quoted"',
        plural: undefined,
        context: undefined,
        comments: [],
        references: ["example.php:4"],
      },
      {
        msgid: "Post",
        plural: undefined,
        context: "noun",
        comments: [],
        references: ["example.php:6"],
      },
      {
        msgid: "From TS, (with parens)",
        plural: undefined,
        context: undefined,
        comments: [],
        references: ["example.php:7"],
      },
    ]);
  });
});
