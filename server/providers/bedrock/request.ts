import type { ConverseStreamCommandInput, Message } from "@aws-sdk/client-bedrock-runtime";
import { toAlternatingTurns } from "../turns.ts";
import type { ProviderCall } from "../types.ts";

/** Bedrock's text models take temperature in 0–1; the gateway accepts 0–2. */
const MAX_TEMPERATURE = 1;

/**
 * Builds the ConverseStream input: the system prompt apart (one block), user
 * and assistant alternating (see toAlternatingTurns).
 */
export function toConverseRequest(call: ProviderCall): ConverseStreamCommandInput {
  const { system, turns } = toAlternatingTurns(call.messages);
  const request: ConverseStreamCommandInput = {
    modelId: call.model,
    messages: turns.map(
      (turn): Message => ({ role: turn.role, content: [{ text: turn.content }] }),
    ),
    inferenceConfig: { maxTokens: call.maxTokens },
  };
  if (system.length > 0) request.system = [{ text: system }];
  if (call.temperature !== undefined && request.inferenceConfig) {
    request.inferenceConfig.temperature = Math.min(call.temperature, MAX_TEMPERATURE);
  }
  return request;
}
