import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * contract/ is imported by the gateway (Node), the blocks (the browser, through
 * webpack) and e2e: it may import nothing, and use neither Node's nor the DOM's
 * globals.
 */

const contractDir = fileURLToPath(new URL("../../contract/", import.meta.url));
const files = readdirSync(contractDir)
  .filter((name) => name.endsWith(".ts"))
  .map((name) => path.join(contractDir, name));

function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      found.push(node.arguments[0]?.getText(source) ?? "import()");
    } else if (ts.isImportTypeNode(node)) {
      found.push(node.argument.getText(source));
    } else if (ts.isCallExpression(node) && node.expression.getText(source) === "require") {
      found.push("require()");
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("contract/", () => {
  it("has its files", () => {
    expect(files.map((file) => path.basename(file)).sort()).toEqual(
      expect.arrayContaining(["error-codes.ts", "events.ts", "policy.ts"]),
    );
  });

  it("imports nothing: no package, no built-in, no other file", () => {
    const imports = files.flatMap((file) =>
      importsOf(file).map((specifier) => `${path.basename(file)} imports ${specifier}`),
    );
    expect(imports).toEqual([]);
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
