import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * The translatable strings of the plugin (text domain "sluice"), read from its PHP,
 * the blocks' TypeScript and block.json, and written as a gettext template: what
 * `wp i18n make-pot` would produce, for a machine without WP-CLI.
 * test/plugin/pot.test.ts keeps plugin/languages/sluice.pot in step with the sources;
 * `node --import tsx test/plugin/write-pot.ts` rewrites it.
 */

export interface Message {
  msgid: string;
  plural?: string;
  context?: string;
  comments: Set<string>;
  references: Set<string>;
}

const DOMAIN = "sluice";

/** Function name → positions of text, plural, context and domain among its arguments. */
const FUNCTIONS: Record<
  string,
  { text: number; plural?: number; context?: number; domain: number }
> = {
  __: { text: 0, domain: 1 },
  _e: { text: 0, domain: 1 },
  esc_html__: { text: 0, domain: 1 },
  esc_html_e: { text: 0, domain: 1 },
  esc_attr__: { text: 0, domain: 1 },
  esc_attr_e: { text: 0, domain: 1 },
  _x: { text: 0, context: 1, domain: 2 },
  esc_html_x: { text: 0, context: 1, domain: 2 },
  esc_attr_x: { text: 0, context: 1, domain: 2 },
  _n: { text: 0, plural: 1, domain: 3 },
  _nx: { text: 0, plural: 1, context: 3, domain: 4 },
};

const CALL = new RegExp(`(?<![\\w$>:])(${Object.keys(FUNCTIONS).join("|")})\\s*\\(`, "g");

function key(msgid: string, context?: string): string {
  return `${context ?? ""}\u0004${msgid}`;
}

/** Splits a call's arguments at top-level commas, from just after its "(". */
function callArguments(source: string, start: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let current = "";
  for (let index = start; index < source.length; index++) {
    const char = source[index] as string;
    if (char === "'" || char === '"' || char === "`") {
      let end = index + 1;
      while (end < source.length && source[end] !== char) end += source[end] === "\\" ? 2 : 1;
      current += source.slice(index, end + 1);
      index = end;
      continue;
    }
    if (char === "(" || char === "[" || char === "{") depth++;
    if (char === ")" || char === "]" || char === "}") {
      if (depth === 0) {
        args.push(current.trim());
        return args;
      }
      depth--;
    }
    if (char === "," && depth === 0) {
      args.push(current.trim());
      current = "";
      continue;
    }
    current += char;
  }
  return args;
}

/** The value of a single string literal (PHP or JS), or undefined for anything else. */
function literal(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const quote = raw[0];
  if ((quote !== "'" && quote !== '"') || raw.at(-1) !== quote || raw.length < 2) return undefined;
  const body = raw.slice(1, -1);
  if (quote === "'") return body.replace(/\\(['\\])/g, "$1");
  return body.replace(/\\(.)/g, (_, escaped: string) =>
    escaped === "n" ? "\n" : escaped === "t" ? "\t" : escaped,
  );
}

/**
 * The translators comment just before a call: nothing but the start of an
 * expression between them (no ";", no other translation call, at most two line breaks).
 */
function translatorsComment(source: string, offset: number): string | undefined {
  const before = source.slice(Math.max(0, offset - 600), offset);
  const comments = [
    ...before.matchAll(/\/(?:\*\s*translators:\s*([\s\S]*?)\s*\*\/|\/\s*translators:\s*(.*))/g),
  ];
  const last = comments.at(-1);
  if (!last) return undefined;
  const gap = before.slice((last.index ?? 0) + last[0].length);
  CALL.lastIndex = 0;
  const blocked = gap.includes(";") || (gap.match(/\n/g) ?? []).length > 2 || CALL.test(gap);
  CALL.lastIndex = 0;
  const text = (last[1] ?? last[2] ?? "").trim();
  return blocked || !text ? undefined : `translators: ${text}`;
}

export function extractFromSource(
  source: string,
  reference: string,
  into: Map<string, Message>,
): void {
  for (const match of source.matchAll(CALL)) {
    const spec = FUNCTIONS[match[1] as string];
    if (!spec) continue;
    const args = callArguments(source, (match.index ?? 0) + match[0].length);
    if (literal(args[spec.domain]) !== DOMAIN) continue;
    const msgid = literal(args[spec.text]);
    if (msgid === undefined) continue;
    const context = spec.context === undefined ? undefined : literal(args[spec.context]);
    const plural = spec.plural === undefined ? undefined : literal(args[spec.plural]);
    const line = source.slice(0, match.index).split("\n").length;
    const message = into.get(key(msgid, context)) ?? {
      msgid,
      ...(plural === undefined ? {} : { plural }),
      ...(context === undefined ? {} : { context }),
      comments: new Set<string>(),
      references: new Set<string>(),
    };
    message.references.add(`${reference}:${line}`);
    const comment = translatorsComment(source, match.index ?? 0);
    if (comment) message.comments.add(comment);
    into.set(key(msgid, context), message);
  }
}

function add(into: Map<string, Message>, msgid: string, context: string, reference: string): void {
  const message = into.get(key(msgid, context)) ?? {
    msgid,
    context,
    comments: new Set<string>(),
    references: new Set<string>(),
  };
  message.references.add(reference);
  into.set(key(msgid, context), message);
}

function files(dir: string, extensions: string[], skip: string[]): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory())
        return skip.includes(entry.name) ? [] : files(full, extensions, skip);
      return extensions.some((extension) => entry.name.endsWith(extension)) ? [full] : [];
    })
    .sort();
}

/** Every translatable string of the plugin as it ships. */
export function collectMessages(repoRoot: string): Map<string, Message> {
  const messages = new Map<string, Message>();
  const relative = (file: string) => path.relative(repoRoot, file);
  const sources = [
    ...files(path.join(repoRoot, "plugin"), [".php"], ["build", "node_modules", "languages"]),
    ...files(path.join(repoRoot, "blocks"), [".php", ".ts", ".tsx"], ["test", "node_modules"]),
  ];
  for (const file of sources) {
    extractFromSource(readFileSync(file, "utf8"), relative(file), messages);
  }
  // block.json: what WordPress translates itself (i18n of block metadata).
  for (const file of files(path.join(repoRoot, "blocks"), ["block.json"], ["test"])) {
    const metadata = JSON.parse(readFileSync(file, "utf8")) as {
      title?: string;
      description?: string;
      keywords?: string[];
    };
    if (metadata.title) add(messages, metadata.title, "block title", relative(file));
    if (metadata.description)
      add(messages, metadata.description, "block description", relative(file));
    for (const keyword of metadata.keywords ?? []) {
      add(messages, keyword, "block keyword", relative(file));
    }
  }
  return messages;
}

function quote(text: string): string {
  const escaped = text
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\t/g, "\\t")
    .replace(/\n/g, "\\n");
  return `"${escaped}"`;
}

/** The .pot file for these messages (no creation date, so that it only changes with the strings). */
export function renderPot(messages: Map<string, Message>, version: string): string {
  const header = [
    "# Copyright (C) Sluice",
    "# This file is distributed under the GPL-2.0-or-later.",
    'msgid ""',
    'msgstr ""',
    `"Project-Id-Version: Sluice ${version}\\n"`,
    '"Report-Msgid-Bugs-To: https://github.com/sluice-chat/sluice/issues\\n"',
    '"MIME-Version: 1.0\\n"',
    '"Content-Type: text/plain; charset=UTF-8\\n"',
    '"Content-Transfer-Encoding: 8bit\\n"',
    '"Language-Team: LANGUAGE <LL@li.org>\\n"',
    '"X-Domain: sluice\\n"',
    "",
  ].join("\n");
  const entries = [...messages.values()]
    .sort((a, b) => {
      const first = [...a.references][0] ?? "";
      const second = [...b.references][0] ?? "";
      return first.localeCompare(second, "en", { numeric: true }) || a.msgid.localeCompare(b.msgid);
    })
    .map((message) => {
      const lines = [
        ...[...message.comments].map((comment) => `#. ${comment}`),
        `#: ${[...message.references].join(" ")}`,
      ];
      if (message.context !== undefined) lines.push(`msgctxt ${quote(message.context)}`);
      lines.push(`msgid ${quote(message.msgid)}`);
      if (message.plural !== undefined) {
        lines.push(`msgid_plural ${quote(message.plural)}`, 'msgstr[0] ""', 'msgstr[1] ""');
      } else {
        lines.push('msgstr ""');
      }
      return lines.join("\n");
    });
  return `${header}\n${entries.join("\n\n")}\n`;
}

export function pluginVersion(repoRoot: string): string {
  const main = readFileSync(path.join(repoRoot, "plugin", "sluice.php"), "utf8");
  return /^\s*\*\s*Version:\s*(\S+)/m.exec(main)?.[1] ?? "0.0.0";
}
