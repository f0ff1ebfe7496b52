import type { NextFunction, Request, Response } from "express";
import { GatewayError } from "./errors.ts";

/** How long the rest of a refused body is read and thrown away before the connection is cut. */
const DRAIN_MS = 1000;

/**
 * Reads the request body into a Buffer on `req.body`, as it came (the
 * signature covers its exact bytes).
 * - A body over `limit` bytes, announced or not, gets 413 `body_too_large`.
 *   The rest of it is read and dropped for up to a second, so the client,
 *   still sending, gets the answer rather than a reset; then the connection
 *   is cut.
 * - A compressed body (any Content-Encoding but identity) gets 415
 *   `unsupported_encoding`: the gateway signs and parses bytes as sent.
 */
export function readRawBody(limit: number) {
  const tooLarge = () => new GatewayError(413, "body_too_large", `the body exceeds ${limit} bytes`);
  return (req: Request, _res: Response, next: NextFunction): void => {
    const encoding = req.headers["content-encoding"];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== "identity") {
      discardBody(req);
      next(
        new GatewayError(
          415,
          "unsupported_encoding",
          `Content-Encoding ${encoding} is not accepted; send the body uncompressed`,
        ),
      );
      return;
    }
    const announced = req.headers["content-length"];
    if (announced === undefined && req.headers["transfer-encoding"] === undefined) {
      req.body = Buffer.alloc(0);
      next();
      return;
    }
    if (announced !== undefined && Number(announced) > limit) {
      discardBody(req);
      next(tooLarge());
      return;
    }
    const parts: Buffer[] = [];
    let size = 0;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      req.off("data", onData);
      discardBody(req);
      next(error);
    };
    const onData = (part: Buffer) => {
      size += part.length;
      if (size > limit) {
        fail(tooLarge());
        return;
      }
      parts.push(part);
    };
    req.on("data", onData);
    req.once("end", () => {
      if (failed) return;
      req.body = parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
      next();
    });
    req.once("error", (error) => fail(new GatewayError(400, "invalid_request", error.message)));
  };
}

/** Reads what is left of a refused body into nothing; past DRAIN_MS, cuts the connection. */
export function discardBody(req: Request): void {
  if (req.readableEnded) return;
  const cut = setTimeout(() => req.socket.destroy(), DRAIN_MS);
  cut.unref();
  req.once("end", () => clearTimeout(cut));
  req.once("close", () => clearTimeout(cut));
  req.resume();
}
