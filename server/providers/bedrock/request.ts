import type { ConverseStreamCommandInput, Message } from "@aws-sdk/client-bedrock-runtime";
import type { ChatMessage, ProviderCall } from "../types.ts";

/** Bedrock's text models take temperature in 0–1; the gateway accepts 0–2. */
const MAX_TEMPERATURE = 1;

const TURN_SEPARATOR = "\n\n";

interface Turn {
  role: "user" | "assistant";
  text: string;
}

/**
 * Builds the ConverseStream input. System messages go to the separate
 * `system` field (joined in order, one block); consecutive same-role messages
 * are merged, because Converse requires user and assistant to alternate.
 */
export function toConverseRequest(call: ProviderCall): ConverseStreamCommandInput {
  const system = call.messages
    .filter((message) => message.role === "system")
    .map((message) => message.content)
    .join(TURN_SEPARATOR);
  const request: ConverseStreamCommandInput = {
    modelId: call.model,
    messages: toTurns(call.messages).map(
      (turn): Message => ({ role: turn.role, content: [{ text: turn.text }] }),
    ),
    inferenceConfig: { maxTokens: call.maxTokens },
  };
  if (system.length > 0) request.system = [{ text: system }];
  if (call.temperature !== undefined && request.inferenceConfig) {
    request.inferenceConfig.temperature = Math.min(call.temperature, MAX_TEMPERATURE);
  }
  return request;
}

function toTurns(messages: readonly ChatMessage[]): Turn[] {
  const turns: Turn[] = [];
  for (const message of messages) {
    if (message.role === "system") continue;
    const previous = turns.at(-1);
    if (previous?.role === message.role) {
      previous.text = `${previous.text}${TURN_SEPARATOR}${message.content}`;
    } else {
      turns.push({ role: message.role, text: message.content });
    }
  }
  return turns;
}
