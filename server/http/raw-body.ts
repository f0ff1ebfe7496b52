import type { NextFunction, Request, Response } from "express";
import { GatewayError } from "./errors.ts";

/**
 * Reads the request body into a Buffer on `req.body`, as it came (the
 * signature covers its exact bytes). A body over `limit` bytes, announced or
 * not, gets 413 `body_too_large` and the connection is closed after the
 * answer, so the rest of it is not read.
 */
export function readRawBody(limit: number) {
  const tooLarge = () => new GatewayError(413, "body_too_large", `the body exceeds ${limit} bytes`);
  return (req: Request, res: Response, next: NextFunction): void => {
    const announced = req.headers["content-length"];
    if (announced === undefined && req.headers["transfer-encoding"] === undefined) {
      req.body = Buffer.alloc(0);
      next();
      return;
    }
    if (announced !== undefined && Number(announced) > limit) {
      res.setHeader("Connection", "close");
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
      next(error);
    };
    const onData = (part: Buffer) => {
      size += part.length;
      if (size > limit) {
        res.setHeader("Connection", "close");
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
