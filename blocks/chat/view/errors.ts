import { __, _n, sprintf } from "@wordpress/i18n";
import {
  type ErrorCode,
  type GatewayErrorCode,
  RELAYED_GATEWAY_PREFIX,
} from "../../../contract/error-codes";

/**
 * Why a question got no (complete) answer, as the visitor needs to know it. Built from
 * the REST route's WP_Error body, the gateway's codes it relays (`sluice_gateway_<code>`),
 * an in-stream `error` frame, or a network failure.
 */
export type FailureKind =
  | "rate_limited"
  | "provider_busy"
  | "budget"
  | "unavailable"
  | "switched_off"
  | "not_set_up"
  | "misconfigured"
  | "not_found"
  | "too_long"
  | "rejected"
  | "interrupted"
  | "unreadable"
  /** The block's own daily cap (its `dailyQuestions`) is reached, until the site's midnight. */
  | "daily_cap"
  /** Turnstile: the token was missing or refused, or the widget could not pass the check. */
  | "check_failed"
  /** Turnstile: WordPress could not have the token verified (siteverify out of reach). */
  | "check_unavailable"
  /** Turnstile: Cloudflare's script did not load in time, so nothing was sent. */
  | "check_not_loaded";

/** Which spend cap refused a question (the gateway's `scope` of `budget_exhausted`). */
export type BudgetScope = "day" | "month" | "visitor_day" | "request";

export interface ChatFailure {
  kind: FailureKind;
  status?: number;
  code?: string;
  /** Seconds until a retry may succeed, when the server said. */
  retryAfterSeconds?: number;
  /** For "budget": the cap that was reached, when the gateway said. */
  budgetScope?: BudgetScope;
  /** For "budget": when that cap resets (an ISO instant), when the gateway said. */
  resetsAt?: string;
}

/** The gateway's own code, without the plugin's `sluice_gateway_` prefix. */
export function gatewayCode(code: string): string {
  return code.startsWith(RELAYED_GATEWAY_PREFIX) ? code.slice(RELAYED_GATEWAY_PREFIX.length) : code;
}

/** The gateway's codes for a reached spend cap (contract/error-codes.ts). */
const BUDGET_CODES: readonly string[] = ["budget_exhausted"] satisfies GatewayErrorCode[];
/** The gateway's codes for a conversation too long for the model or the gateway. */
const TOO_LONG_CODES: readonly string[] = [
  "context_length_exceeded",
  "body_too_large",
] satisfies GatewayErrorCode[];
const PROVIDER_BUSY: GatewayErrorCode = "provider_rate_limited";
const CHAT_OFF: ErrorCode = "sluice_chat_off";
const DAILY_CAP: ErrorCode = "sluice_daily_cap_reached";
/** Turnstile's refusals of the token: complete the check again, then resend. */
const CHECK_FAILED_CODES: readonly string[] = [
  "sluice_turnstile_missing",
  "sluice_turnstile_invalid",
] satisfies ErrorCode[];
const CHECK_UNAVAILABLE: ErrorCode = "sluice_turnstile_unavailable";

function isBudgetCode(code: string): boolean {
  return BUDGET_CODES.includes(code);
}

/** Retry-After as seconds: either delta-seconds or an HTTP date. */
export function parseRetryAfter(
  header: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

const BUDGET_SCOPES: readonly string[] = ["day", "month", "visitor_day", "request"];

export interface ErrorBody {
  code?: string;
  retryAfter?: number;
  budgetScope?: BudgetScope;
  resetsAt?: string;
}

/** A spend cap's `scope` and `resets_at`, from the WP_Error's data or the gateway's envelope. */
function readBudgetDetails(record: Record<string, unknown> | undefined): ErrorBody {
  if (!record) return {};
  const scope = record.scope;
  const resetsAt = record.resets_at;
  return {
    ...(typeof scope === "string" && BUDGET_SCOPES.includes(scope)
      ? { budgetScope: scope as BudgetScope }
      : {}),
    ...(typeof resetsAt === "string" && !Number.isNaN(Date.parse(resetsAt)) ? { resetsAt } : {}),
  };
}

/** The `code`, retry hint and budget details of an error body: WP_Error JSON or the gateway's envelope. */
export function readErrorBody(body: unknown): ErrorBody {
  if (typeof body !== "object" || body === null) return {};
  const record = body as Record<string, unknown>;
  const nested = record.error;
  if (typeof nested === "object" && nested !== null) {
    const envelope = nested as Record<string, unknown>;
    return {
      ...(typeof envelope.code === "string" ? { code: envelope.code } : {}),
      ...readBudgetDetails(envelope),
    };
  }
  const data =
    typeof record.data === "object" && record.data !== null
      ? (record.data as Record<string, unknown>)
      : undefined;
  const retryAfter = data && typeof data.retry_after === "number" ? data.retry_after : undefined;
  return {
    ...(typeof record.code === "string" ? { code: record.code } : {}),
    ...(retryAfter === undefined ? {} : { retryAfter }),
    ...readBudgetDetails(data),
  };
}

/** Classifies a refused request (a non-2xx answer of the chat route). */
export function classifyHttpFailure(
  status: number,
  body: unknown,
  retryAfterHeader: string | null,
  nowMs: number = Date.now(),
): ChatFailure {
  const { code: rawCode, retryAfter, budgetScope, resetsAt } = readErrorBody(body);
  const code = rawCode ?? "";
  const bare = gatewayCode(code);
  const retryAfterSeconds = parseRetryAfter(retryAfterHeader, nowMs) ?? retryAfter;
  const base = {
    status,
    ...(rawCode ? { code: rawCode } : {}),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  };
  // The plugin's abuse brakes, told by their codes before their statuses (429, 400, 403, 503).
  if (code === DAILY_CAP) return { kind: "daily_cap", ...base };
  if (CHECK_FAILED_CODES.includes(code)) return { kind: "check_failed", ...base };
  if (code === CHECK_UNAVAILABLE) return { kind: "check_unavailable", ...base };
  if (isBudgetCode(bare)) {
    return {
      kind: "budget",
      ...base,
      ...(budgetScope ? { budgetScope } : {}),
      ...(resetsAt ? { resetsAt } : {}),
    };
  }
  if (status === 429) {
    return { kind: bare === PROVIDER_BUSY ? "provider_busy" : "rate_limited", ...base };
  }
  if (status === 403) {
    // Only the plugin's own switch turns the chat off; other refusals (a model outside the
    // allowlist, a block that is not a chat) are the site's settings.
    return { kind: code === CHAT_OFF ? "switched_off" : "misconfigured", ...base };
  }
  if (status === 404) return { kind: "not_found", ...base };
  if (status === 413 || TOO_LONG_CODES.includes(bare)) {
    return { kind: "too_long", ...base };
  }
  if (status === 400 || status === 401) return { kind: "rejected", ...base };
  return { kind: "unavailable", ...base };
}

/** Classifies an `error` frame that ended a started stream. */
export function classifyStreamError(code: string): ChatFailure {
  const bare = gatewayCode(code);
  if (isBudgetCode(bare)) return { kind: "budget", code };
  return { kind: "interrupted", code };
}

export interface FailureMessage {
  text: string;
  /** Whether a Retry button makes sense. */
  retryable: boolean;
}

function inSeconds(seconds: number): string {
  if (seconds >= 120) {
    const minutes = Math.ceil(seconds / 60);
    /* translators: %d: minutes to wait */
    return sprintf(_n("in %d minute", "in %d minutes", minutes, "sluice"), minutes);
  }
  /* translators: %d: seconds to wait */
  return sprintf(_n("in %d second", "in %d seconds", seconds, "sluice"), seconds);
}

/** How reset times are written: the page's language and the visitor's clock unless told. */
export interface DescribeOptions {
  locale?: string;
  timeZone?: string;
  now?: number;
}

function pageLocale(): string | undefined {
  const lang = typeof document === "undefined" ? "" : document.documentElement.lang;
  return lang || undefined;
}

/** A reset instant as the visitor reads it: the time alone within a day, else date and time. */
export function formatResetTime(iso: string, options: DescribeOptions = {}): string {
  const at = Date.parse(iso);
  const now = options.now ?? Date.now();
  const zone = options.timeZone ? { timeZone: options.timeZone } : {};
  const format: Intl.DateTimeFormatOptions =
    at - now < 86_400_000
      ? { timeStyle: "short", ...zone }
      : { dateStyle: "medium", timeStyle: "short", ...zone };
  try {
    return new Intl.DateTimeFormat(options.locale ?? pageLocale(), format).format(at);
  } catch {
    return new Intl.DateTimeFormat(undefined, format).format(at);
  }
}

/** The budget message when the gateway said which cap it was; undefined when it did not. */
function describeBudget(
  failure: ChatFailure,
  options: DescribeOptions,
): FailureMessage | undefined {
  const scope = failure.budgetScope;
  if (scope === "request") {
    return {
      text: __(
        "That question could cost more than this chat allows for one answer. Please ask something shorter.",
        "sluice",
      ),
      retryable: false,
    };
  }
  if (!scope || !failure.resetsAt) return undefined;
  const resets = formatResetTime(failure.resetsAt, options);
  const text =
    scope === "month"
      ? /* translators: %s: when the monthly budget resets, e.g. "Aug 1, 2026, 12:00 AM" */
        sprintf(
          __("This site's chat budget is used up for this month; it resets on %s.", "sluice"),
          resets,
        )
      : scope === "visitor_day"
        ? /* translators: %s: when the visitor's daily allowance resets, e.g. "12:00 AM" */
          sprintf(
            __("You've used up your chat allowance for today; it resets at %s.", "sluice"),
            resets,
          )
        : /* translators: %s: when the daily budget resets, e.g. "12:00 AM" */
          sprintf(
            __("This site's chat budget is used up for today; it resets at %s.", "sluice"),
            resets,
          );
  // Asking again before the reset would be refused the same way.
  return { text, retryable: false };
}

/** What the visitor reads for a failure. */
export function describeFailure(
  failure: ChatFailure,
  options: DescribeOptions = {},
): FailureMessage {
  const wait = failure.retryAfterSeconds;
  switch (failure.kind) {
    case "rate_limited":
      return {
        text:
          wait !== undefined && wait > 0
            ? /* translators: %s: e.g. "in 30 seconds" */
              sprintf(
                __(
                  "You're sending messages faster than this site allows. Please try again %s.",
                  "sluice",
                ),
                inSeconds(wait),
              )
            : __(
                "You're sending messages faster than this site allows. Please wait a moment and try again.",
                "sluice",
              ),
        retryable: true,
      };
    case "provider_busy":
      return {
        text:
          wait !== undefined && wait > 0
            ? /* translators: %s: e.g. "in 30 seconds" */
              sprintf(__("The AI service is busy. Please try again %s.", "sluice"), inSeconds(wait))
            : __("The AI service is busy. Please try again in a moment.", "sluice"),
        retryable: true,
      };
    case "budget":
      return (
        describeBudget(failure, options) ?? {
          text:
            wait !== undefined && wait > 0
              ? /* translators: %s: e.g. "in 30 minutes" */
                sprintf(
                  __("This chat has used up its budget for now. Please try again %s.", "sluice"),
                  inSeconds(wait),
                )
              : __("This chat has used up its budget for now. Please try again later.", "sluice"),
          retryable: true,
        }
      );
    case "switched_off":
      return { text: __("The chat is switched off on this site.", "sluice"), retryable: false };
    case "not_set_up":
      return {
        text: __(
          "This chat is not set up yet. The site owner needs to open this page in the editor and save it.",
          "sluice",
        ),
        retryable: false,
      };
    case "misconfigured":
      return {
        text: __(
          "This chat cannot answer because of how it is set up. Please try again later.",
          "sluice",
        ),
        retryable: false,
      };
    case "not_found":
      return {
        text: __(
          "This chat is no longer available on this page. Please reload the page.",
          "sluice",
        ),
        retryable: false,
      };
    case "too_long":
      return {
        text: __(
          "That message is too long for this chat. Please shorten it and send it again.",
          "sluice",
        ),
        retryable: false,
      };
    case "rejected":
      return {
        text: __("This message could not be sent. Please try again.", "sluice"),
        retryable: true,
      };
    case "interrupted":
      return {
        text: __("The answer was interrupted. You can try again.", "sluice"),
        retryable: true,
      };
    case "unreadable":
      return {
        text: __("The answer could not be read. Please try again.", "sluice"),
        retryable: true,
      };
    case "daily_cap":
      // The cap holds until the site's midnight: asking again today is refused the same way.
      return {
        text: __(
          "This chat has answered all the questions it can today. Please come back tomorrow.",
          "sluice",
        ),
        retryable: false,
      };
    case "check_failed":
      return {
        text: __(
          "The security check did not pass. Please complete it again, then send your question again.",
          "sluice",
        ),
        retryable: true,
      };
    case "check_unavailable":
      return {
        text: __(
          "The security check cannot be verified right now. Please try again in a moment.",
          "sluice",
        ),
        retryable: true,
      };
    case "check_not_loaded":
      return {
        text: __(
          "The security check did not load, so your question was not sent. Please check your connection, then try again.",
          "sluice",
        ),
        retryable: true,
      };
    default:
      return {
        text: __("Chat is unavailable right now. Please try again in a moment.", "sluice"),
        retryable: true,
      };
  }
}
