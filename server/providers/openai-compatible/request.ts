import type { ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import type { ProviderCall } from "../types.ts";
import type { CompatibleProfile } from "./profile.ts";

/** The streaming chat-completions request for one call. */
export function toChatRequest(
  profile: CompatibleProfile,
  call: ProviderCall,
): ChatCompletionCreateParamsStreaming {
  return {
    model: call.model,
    messages: call.messages.map(({ role, content }) => ({ role, content })),
    [profile.maxTokensField]: call.maxTokens,
    ...(call.temperature === undefined ? {} : { temperature: call.temperature }),
    stream: true,
    ...(profile.includeUsageOption ? { stream_options: { include_usage: true } } : {}),
  };
}
