import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * contract/ is imported by the gateway (Node), the blocks (the browser, through
 * webpack) and e2e: it uses neither Node's nor the DOM's globals. That it imports
 * nothing is an import rule: test/architecture/imports.test.ts.
 */

const contractDir = fileURLToPath(new URL("../../contract/", import.meta.url));
const files = readdirSync(contractDir)
  .filter((name) => name.endsWith(".ts"))
  .map((name) => path.join(contractDir, name));

describe("contract/", () => {
  it("has its files", () => {
    expect(files.map((file) => path.basename(file)).sort()).toEqual(
      expect.arrayContaining(["error-codes.ts", "events.ts", "policy.ts"]),
    );
  });

  it("compiles with the language's own library only (no Node, no DOM)", () => {
    const program = ts.createProgram(files, {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ["lib.es2022.d.ts"],
      types: [],
      strict: true,
      noUncheckedIndexedAccess: true,
      isolatedModules: true,
      verbatimModuleSyntax: true,
      noEmit: true,
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const where = diagnostic.file ? path.basename(diagnostic.file.fileName) : "";
      return `${where}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`;
    });
    expect(diagnostics).toEqual([]);
  });
});
