import type { ChatMessage } from "./types.ts";

const TURN_SEPARATOR = "\n\n";

export interface Turn {
  role: "user" | "assistant";
  content: string;
}

/**
 * For APIs that take the system prompt apart and want user and assistant to
 * alternate, starting with the user (Anthropic Messages, Bedrock Converse):
 * system messages are joined in order; consecutive same-role messages are
 * merged; assistant messages before the first user message are dropped.
 */
export function toAlternatingTurns(messages: readonly ChatMessage[]): {
  system: string;
  turns: Turn[];
} {
  const system: string[] = [];
  const turns: Turn[] = [];
  for (const message of messages) {
    if (message.role === "system") {
      system.push(message.content);
      continue;
    }
    if (turns.length === 0 && message.role === "assistant") continue;
    const previous = turns.at(-1);
    if (previous?.role === message.role) {
      previous.content = `${previous.content}${TURN_SEPARATOR}${message.content}`;
    } else {
      turns.push({ role: message.role, content: message.content });
    }
  }
  return { system: system.join(TURN_SEPARATOR), turns };
}
