import { DEFAULT_MEMORY_DAYS, memoryDays } from "./memory";
import { parseSuggestions } from "./suggestions";

/**
 * The configuration render.php prints as JSON in the container's `data-sluice-chat`
 * attribute (docs/wordpress-contract.md). It never holds the system prompt.
 */

export type StreamingMode = "auto" | "buffered" | "off";

export interface ChatTexts {
  title: string;
  welcome: string;
  placeholder: string;
  /** Suggested first questions, shown as buttons until the first question. */
  suggestions: string[];
}

export interface ChatConfig {
  restUrl: string;
  postId: number;
  blockId: string;
  streamingMode: StreamingMode;
  /** Only for logged-in users; cached pages for visitors carry none. */
  nonce?: string;
  /** Direct mode only: the ticket route, asked before each answer is streamed from the gateway. */
  ticketUrl?: string;
  texts: ChatTexts;
  /** How many days the conversation is kept in this browser (0: this page view only). */
  memoryDays: number;
  /** The viewer may manage the site (manage_options): each answer shows its cost. */
  canSeeCost: boolean;
  /** While the site has Turnstile on: the widget's site key (each question needs a token). */
  turnstileSiteKey?: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function text(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : fallback;
}

/** Reads and checks the JSON config; throws ConfigError when it cannot be used. */
export function parseChatConfig(raw: string | null | undefined): ChatConfig {
  let value: unknown;
  try {
    value = JSON.parse(raw ?? "");
  } catch {
    throw new ConfigError("the chat's configuration is not valid JSON");
  }
  if (typeof value !== "object" || value === null) {
    throw new ConfigError("the chat's configuration is not an object");
  }
  const record = value as Record<string, unknown>;
  const restUrl = text(record.restUrl);
  const postId = Number(record.postId);
  const blockId = text(record.blockId);
  if (!restUrl) throw new ConfigError("the chat's configuration has no restUrl");
  if (!Number.isInteger(postId) || postId <= 0) {
    throw new ConfigError("the chat's configuration has no postId");
  }
  const mode = record.streamingMode;
  const streamingMode: StreamingMode = mode === "buffered" || mode === "off" ? mode : "auto";
  const texts = (
    typeof record.texts === "object" && record.texts !== null ? record.texts : {}
  ) as Record<string, unknown>;
  const nonce = text(record.nonce);
  const ticketUrl = text(record.ticketUrl);
  const turnstileSiteKey = text(record.turnstileSiteKey);
  return {
    restUrl,
    postId,
    blockId,
    streamingMode,
    ...(nonce ? { nonce } : {}),
    ...(ticketUrl ? { ticketUrl } : {}),
    texts: {
      title: text(texts.title),
      welcome: text(texts.welcome),
      placeholder: text(texts.placeholder),
      suggestions: parseSuggestions(texts.suggestions),
    },
    memoryDays:
      record.memoryDays === undefined ? DEFAULT_MEMORY_DAYS : memoryDays(record.memoryDays),
    canSeeCost: record.canSeeCost === true,
    ...(turnstileSiteKey ? { turnstileSiteKey } : {}),
  };
}
