import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The import rules of server/README.md, checked on every server/**\/*.ts file.
 * Each file belongs to one part; a part may import itself, the parts listed in
 * RULES, the contract and the shared leaves (the contract imports only itself).
 * Listed exceptions are the known breaks, each with the reason it is still there.
 * Any part may import contract/ at the repository's root, which imports nothing.
 */

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SERVER = join(REPO_ROOT, "server");

type Part =
  | "entry"
  | "shared"
  | "contract"
  | "http"
  | "chat"
  | "budget"
  | "routing"
  | "providers"
  | "pricing"
  | "ledger"
  | "vault"
  | "tokens"
  | "metrics";

/** The top-level files that put the gateway together; every other top-level file is a shared leaf. */
const ENTRY_FILES = new Set([
  "app.ts",
  "cli.ts",
  "cli-vault.ts",
  "cli-audit.ts",
  "serve.ts",
  "services.ts",
  "recovery.ts",
]);
/** The adapter contract: importable from anywhere, like the shared leaves. */
const CONTRACT_FILES = new Set(["providers/types.ts", "providers/errors.ts"]);

/** What each part may import besides itself, the contract and the shared leaves. */
const RULES: Record<Part, readonly Part[]> = {
  entry: [
    "http",
    "chat",
    "budget",
    "routing",
    "providers",
    "pricing",
    "ledger",
    "vault",
    "tokens",
    "metrics",
  ],
  http: [
    "chat",
    "budget",
    "routing",
    "providers",
    "pricing",
    "ledger",
    "vault",
    "tokens",
    "metrics",
  ],
  chat: ["budget", "routing", "pricing", "ledger", "tokens"],
  budget: ["routing", "pricing", "ledger"],
  routing: ["providers", "pricing", "tokens"],
  providers: ["vault", "tokens"],
  pricing: [],
  ledger: ["vault", "pricing"],
  vault: [],
  tokens: [],
  // Implements the pipeline's ChatObserver; reads ledger outcomes, routing's circuits, prices' units.
  metrics: ["chat", "routing", "ledger", "pricing"],
  shared: [],
  contract: [],
};

/** Packages only some parts may import: the SDKs stay in providers/, Express in http/. */
const PACKAGE_RULES: { pattern: RegExp; parts: readonly Part[] }[] = [
  { pattern: /^express$/, parts: ["entry", "http"] },
  {
    pattern: /^(openai|@anthropic-ai\/sdk|@aws-sdk\/|@smithy\/|eventsource-parser)/,
    parts: ["providers"],
  },
  { pattern: /^better-sqlite3$/, parts: ["ledger"] },
  { pattern: /^gpt-tokenizer/, parts: ["tokens"] },
  { pattern: /^prom-client$/, parts: ["metrics"] },
];

/**
 * Known breaks, as "importing file → imported file" (paths under server/). The
 * test fails when an exception's file still exists but no longer makes the
 * import, so the list shrinks as the code is fixed.
 */
const EXCEPTIONS: Record<string, string> = {
  // The provider-key store keeps its sealed rows in the ledger's database (a type-only
  // import of the handle), while ledger/sites.ts seals site secrets with vault/vault.ts.
  "vault/provider-keys.ts → ledger/db.ts": "the ledger's database handle (type only)",
  // recentDays is calendar arithmetic with no imports of its own; it lives with
  // the other spend windows in budget/ although the usage report needs it too.
  "ledger/usage.ts → budget/periods.ts": "calendar days of the usage report",
};

interface Violation {
  file: string;
  line: number;
  specifier: string;
  reason: string;
}

interface ImportSite {
  specifier: string;
  line: number;
}

function listTsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listTsFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

interface SourceFile {
  /** Absolute path. */
  path: string;
  text: string;
}

/** Static and dynamic imports, re-exports and `import("…")` types, with their lines. */
function importsOf({ path, text }: SourceFile): ImportSite[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const sites: ImportSite[] = [];
  const add = (literal: ts.Node) => {
    if (!ts.isStringLiteralLike(literal)) return;
    const line = source.getLineAndCharacterOfPosition(literal.getStart(source)).line + 1;
    sites.push({ specifier: literal.text, line });
  };
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      add(node.moduleSpecifier);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference)
    ) {
      add(node.moduleReference.expression);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument) add(argument);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

/** A path relative to server/, with forward slashes. */
function serverPath(absolute: string): string {
  return relative(SERVER, absolute).split(sep).join("/");
}

function partOf(path: string): Part {
  if (CONTRACT_FILES.has(path)) return "contract";
  const slash = path.indexOf("/");
  if (slash === -1) return ENTRY_FILES.has(path) ? "entry" : "shared";
  const folder = path.slice(0, slash);
  if (folder in RULES && folder !== "entry" && folder !== "shared" && folder !== "contract") {
    return folder as Part;
  }
  throw new Error(`server/${path}: folder ${folder}/ has no import rule; add it to RULES`);
}

function mayImport(from: Part, to: Part): boolean {
  if (from === "contract") return to === "contract";
  return from === to || to === "contract" || to === "shared" || RULES[from].includes(to);
}

function check(files: SourceFile[]): { violations: Violation[]; usedExceptions: Set<string> } {
  const violations: Violation[] = [];
  const usedExceptions = new Set<string>();
  for (const file of files) {
    const from = serverPath(file.path);
    const fromPart = partOf(from);
    for (const { specifier, line } of importsOf(file)) {
      const report = (reason: string) =>
        violations.push({ file: `server/${from}`, line, specifier, reason });
      if (specifier.startsWith(".")) {
        const target = resolve(dirname(file.path), specifier);
        const fromRepo = relative(REPO_ROOT, target).split(sep).join("/");
        if (!target.startsWith(SERVER + sep)) {
          // The shared wire contract (issue 14, item 1) sits at the repository root.
          if (!fromRepo.startsWith("contract/")) report(`imports ${fromRepo}, outside server/`);
          continue;
        }
        const to = serverPath(target);
        const toPart = partOf(to);
        if (mayImport(fromPart, toPart)) continue;
        const key = `${from} → ${to}`;
        if (key in EXCEPTIONS) {
          usedExceptions.add(key);
          continue;
        }
        report(`${fromPart} may not import ${toPart} (server/${to})`);
        continue;
      }
      if (specifier.startsWith("node:")) continue;
      const rule = PACKAGE_RULES.find(({ pattern }) => pattern.test(specifier));
      if (rule && !rule.parts.includes(fromPart)) {
        report(`package ${specifier} belongs to ${rule.parts.join(", ")}`);
      }
    }
  }
  return { violations, usedExceptions };
}

describe("server import rules (server/README.md)", () => {
  const files = listTsFiles(SERVER).map((path) => ({ path, text: readFileSync(path, "utf8") }));
  const { violations, usedExceptions } = check(files);

  it("finds the gateway's files", () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it("has no import against the rules", () => {
    const lines = violations.map(
      ({ file, line, specifier, reason }) => `${file}:${line} imports "${specifier}": ${reason}`,
    );
    expect(lines).toEqual([]);
  });

  it("lists only exceptions the code still needs", () => {
    const stale = Object.keys(EXCEPTIONS).filter((key) => {
      const [importer = ""] = key.split(" → ");
      // A deleted file's exception is harmless; remove it from the list when you see it.
      return existsSync(join(SERVER, importer)) && !usedExceptions.has(key);
    });
    expect(stale, "fixed: remove these from EXCEPTIONS").toEqual([]);
  });

  it("names the file, the line and the import of a break", () => {
    const probe: SourceFile = {
      path: join(SERVER, "pricing", "probe.ts"),
      text: [
        'import type { ProviderId } from "../providers/types.ts";',
        'import { runChat } from "../chat/pipeline.ts";',
        'import OpenAI from "openai";',
        'const later = () => import("../../test/support/gateway.ts");',
      ].join("\n"),
    };
    expect(check([probe]).violations).toEqual([
      {
        file: "server/pricing/probe.ts",
        line: 2,
        specifier: "../chat/pipeline.ts",
        reason: "pricing may not import chat (server/chat/pipeline.ts)",
      },
      {
        file: "server/pricing/probe.ts",
        line: 3,
        specifier: "openai",
        reason: "package openai belongs to providers",
      },
      {
        file: "server/pricing/probe.ts",
        line: 4,
        specifier: "../../test/support/gateway.ts",
        reason: "imports test/support/gateway.ts, outside server/",
      },
    ]);
  });

  it("refuses a folder that has no rule", () => {
    expect(() => partOf("plugins/hook.ts")).toThrow(/plugins\/ has no import rule/);
  });
});

describe("contract/ (the wire contract at the repository's root, issue 14 item 1)", () => {
  // Everyone may import it: the gateway, the blocks (bundled for the browser), test/ and
  // e2e/. So it imports nothing: no package, no built-in, not even another contract file.
  const files = listTsFiles(join(REPO_ROOT, "contract")).map((path) => ({
    path,
    text: readFileSync(path, "utf8"),
  }));

  it("imports nothing", () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
    const imports = files.flatMap((file) =>
      importsOf(file).map(
        ({ specifier, line }) =>
          `${relative(REPO_ROOT, file.path).split(sep).join("/")}:${line} imports "${specifier}"`,
      ),
    );
    expect(imports).toEqual([]);
  });
});
