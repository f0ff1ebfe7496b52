import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import {
  ERROR_CODES,
  type ErrorCode,
  type ErrorCodeRow,
  UNKNOWN_FAILURE_MESSAGE,
} from "../../contract/error-codes.ts";
import { publicMessage } from "../../server/http/public-errors.ts";
import { refusalStatus } from "../../server/http/refusals.ts";
import { ProviderError } from "../../server/providers/errors.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const rows = Object.entries(ERROR_CODES) as [ErrorCode, ErrorCodeRow][];
const gatewayRows = rows.filter(([, row]) => row.emitter === "gateway");

function read(relative: string): string {
  return readFileSync(path.join(repoRoot, relative), "utf8");
}

function serverFiles(dir = path.join(repoRoot, "server")): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return serverFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

/** The lines of a Markdown section, from its heading to the next of the same level. */
function section(markdown: string, heading: string): string[] {
  const lines = markdown.split("\n");
  const start = lines.indexOf(heading);
  if (start === -1) throw new Error(`no section ${heading}`);
  const level = heading.split(" ")[0] ?? "";
  const end = lines.findIndex((line, index) => index > start && line.startsWith(`${level} `));
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

describe("the table of error codes (contract/error-codes.ts)", () => {
  it("gives a visitor a gateway message exactly when the message is a fixed one", () => {
    for (const [code, row] of gatewayRows) {
      expect(row.visitorMaySeeMessage, code).toBe(row.message !== undefined);
    }
  });

  it("holds only codes of lower-case words", () => {
    for (const [code] of rows) expect(code).toMatch(/^[a-z]+(_[a-z]+)+$/);
  });
});

describe("the gateway's maps come from the table", () => {
  it("refuses with the table's status (http/refusals.ts)", () => {
    const refusals = [
      "unknown_model",
      "provider_not_configured",
      "invalid_request",
      "context_length_exceeded",
      "no_route",
      "model_not_allowed",
      "budget_exhausted",
      "ledger_unavailable",
    ] as const;
    for (const code of refusals) expect(refusalStatus(code), code).toBe(ERROR_CODES[code].status);
  });

  it("sends the table's fixed message for a failure, a generic one for anything else (http/public-errors.ts)", () => {
    for (const [code, row] of rows) {
      expect(publicMessage(code), code).toBe(row.message ?? UNKNOWN_FAILURE_MESSAGE);
    }
    expect(publicMessage("a_newer_code")).toBe(UNKNOWN_FAILURE_MESSAGE);
    expect(publicMessage("constructor")).toBe(UNKNOWN_FAILURE_MESSAGE);
  });

  it("gives each ProviderError class the code and status of its row", async () => {
    const classes: (typeof ProviderError)[] = [ProviderError];
    for (const file of serverFiles()) {
      if (!/class \w+ extends ProviderError\b/.test(readFileSync(file, "utf8"))) continue;
      const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      for (const value of Object.values(module)) {
        if (typeof value === "function" && value.prototype instanceof ProviderError) {
          classes.push(value as typeof ProviderError);
        }
      }
    }
    // The seven of providers/errors.ts and the two deadlines of chat/deadline.ts.
    expect(classes.length).toBeGreaterThanOrEqual(9);
    for (const ErrorClass of classes) {
      const error = new ErrorClass("the provider's own text", { provider: "openai" });
      const row: ErrorCodeRow | undefined = ERROR_CODES[error.code as ErrorCode];
      expect(row, `${ErrorClass.name}: ${error.code} is not in the table`).toBeDefined();
      expect({ class: ErrorClass.name, code: error.code, status: error.httpStatus }).toEqual({
        class: ErrorClass.name,
        code: error.code,
        status: row?.status,
      });
      expect(row?.emitter).toBe("gateway");
      expect(row?.message, `${error.code} needs a fixed message`).toBeTypeOf("string");
    }
  });

  it("answers each literal code of server/ with the table's status", () => {
    const patterns = [
      // new GatewayError(413, "body_too_large", …) and sendError(res, 400, "invalid_request", …)
      /(?:GatewayError|sendError)\(\s*(?:res,\s*)?(\d{3}),\s*"(\w+)"/g,
    ];
    const found: { file: string; code: string; status: number }[] = [];
    for (const file of serverFiles()) {
      const text = readFileSync(file, "utf8");
      for (const pattern of patterns) {
        for (const match of text.matchAll(pattern)) {
          found.push({
            file: path.relative(repoRoot, file),
            code: match[2] ?? "",
            status: Number(match[1]),
          });
        }
      }
      // http/auth.ts and http/ticket-auth.ts refuse with 401 through a local refuse("code", …).
      if (["auth.ts", "ticket-auth.ts"].some((name) => file.endsWith(path.join("http", name)))) {
        expect(text).toMatch(/sendError\(res, 401, code,/);
        for (const match of text.matchAll(/refuse\(\s*"(\w+)"/g)) {
          found.push({ file: path.relative(repoRoot, file), code: match[1] ?? "", status: 401 });
        }
      }
    }
    expect(found.length).toBeGreaterThan(15);
    const wrong = found.filter(
      ({ code, status }) => ERROR_CODES[code as ErrorCode]?.status !== status,
    );
    expect(wrong).toEqual([]);
  });

  it("writes a restarted chat's error code from the table (recovery.ts)", () => {
    const codes = [...read("server/recovery.ts").matchAll(/errorCode: "(\w+)"/g)].map(
      (match) => match[1],
    );
    expect(codes).toEqual(["gateway_restarted"]);
    expect(ERROR_CODES.gateway_restarted).toMatchObject({ emitter: "gateway", status: null });
  });
});

describe("the docs name every code as the table does", () => {
  const wireFormat = read("docs/wire-format.md");
  const wordpress = read("docs/wordpress-contract.md");

  it("docs/wire-format.md names every gateway code, docs/wordpress-contract.md every other", () => {
    for (const [code, row] of rows) {
      const page = row.emitter === "gateway" ? wireFormat : wordpress;
      expect(new RegExp(`(?<![a-z_])${code}(?![a-z_])`).test(page), `${code} in its page`).toBe(
        true,
      );
    }
  });

  it("wire-format.md's statuses are the table's", () => {
    const listed = section(wireFormat, "## Errors before the stream").flatMap((line) => {
      const match = /^\|\s*(\d{3})\s*\|(.*)\|$/.exec(line);
      if (!match) return [];
      return [...(match[2] ?? "").matchAll(/`(\w+)`/g)].map((code) => ({
        code: code[1] ?? "",
        status: Number(match[1]),
      }));
    });
    expect(listed.length).toBeGreaterThan(20);
    for (const { code, status } of listed) {
      expect(ERROR_CODES[code as ErrorCode]?.status, code).toBe(status);
    }
  });

  it("wire-format.md's fixed messages are the table's, every one of them", () => {
    const listed = new Map(
      section(wireFormat, "## Provider failures").flatMap((line) => {
        const match = /^\|\s*`(\w+)`\s*\|\s*(.*?)\s*\|$/.exec(line);
        return match ? [[match[1] ?? "", match[2] ?? ""] as const] : [];
      }),
    );
    const withMessage = rows.filter(([, row]) => row.message !== undefined);
    expect(Object.fromEntries(listed)).toEqual(
      Object.fromEntries(withMessage.map(([code, row]) => [code, row.message])),
    );
    const fallback = section(wireFormat, "## Provider failures")
      .map((line) => /^\|\s*any other code\s*\|\s*(.*?)\s*\|$/.exec(line)?.[1])
      .find((message) => message !== undefined);
    expect(fallback).toBe(UNKNOWN_FAILURE_MESSAGE);
  });

  it("wordpress-contract.md's statuses are the table's (a relayed code keeps the gateway's)", () => {
    const listed = wordpress.split("\n").flatMap((line) => {
      const match = /^\s*\|\s*(\d{3})\s*\|\s*`(\w+)`\s*\|/.exec(line);
      return match ? [{ code: match[2] ?? "", status: Number(match[1]) }] : [];
    });
    expect(listed.length).toBeGreaterThan(10);
    for (const { code, status } of listed) {
      const bare = code.replace(/^sluice_gateway_/, "");
      const row = ERROR_CODES[(code in ERROR_CODES ? code : bare) as ErrorCode];
      expect(row?.status, code).toBe(status);
    }
  });
});
