import { pino } from "pino";

/**
 * The gateway's structured logger (JSON lines on stdout). Secrets never reach
 * it: signature and ticket headers and keys are redacted wherever they appear.
 */
export function createLogger(level: string) {
  return pino({
    level,
    base: { service: "sluice-gateway" },
    redact: {
      paths: [
        "headers.authorization",
        'headers["x-api-key"]',
        'headers["x-sluice-signature"]',
        'headers["x-sluice-ticket"]',
        "apiKey",
        "secret",
        "*.apiKey",
        "*.secret",
      ],
      censor: "[redacted]",
    },
  });
}

export type Logger = ReturnType<typeof createLogger>;
