import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAdapter as createDeepseek } from "../../../server/providers/deepseek/index.ts";
import { ProviderAuthError } from "../../../server/providers/errors.ts";
import { createAdapter as createGoogle } from "../../../server/providers/google/index.ts";
import { createAdapter as createHuggingface } from "../../../server/providers/huggingface/index.ts";
import { createAdapter as createMistral } from "../../../server/providers/mistral/index.ts";
import { createAdapter as createOpenai } from "../../../server/providers/openai/index.ts";
import { createAdapter as createQwen } from "../../../server/providers/qwen/index.ts";
import type { AdapterFactory } from "../../../server/providers/types.ts";
import { createAdapter as createXai } from "../../../server/providers/xai/index.ts";
import { adapterFor, chatCall, fixtures, openError, profiles, run, TEST_KEY } from "./harness.ts";
import { startWireServer, type WireServer } from "./server.ts";
import type { WireProvider } from "./wire-profiles.ts";

let server: WireServer;
beforeAll(async () => {
  server = await startWireServer();
});
afterAll(async () => {
  await server.close();
});

const ENV_NAMES = ["OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_API_KEY"] as const;
const savedEnv = ENV_NAMES.map((name) => [name, process.env[name]] as const);
afterEach(() => {
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const factories: Record<WireProvider, AdapterFactory> = {
  openai: createOpenai,
  google: createGoogle,
  deepseek: createDeepseek,
  xai: createXai,
  mistral: createMistral,
  qwen: createQwen,
  huggingface: createHuggingface,
};

interface SentCase {
  provider: WireProvider;
  path: string;
  maxTokensField: "max_tokens" | "max_completion_tokens";
  includeUsage: boolean;
}

const sentCases: SentCase[] = [
  {
    provider: "openai",
    path: "/v1/chat/completions",
    maxTokensField: "max_completion_tokens",
    includeUsage: true,
  },
  {
    provider: "google",
    path: "/v1beta/openai/chat/completions",
    maxTokensField: "max_tokens",
    includeUsage: true,
  },
  {
    provider: "deepseek",
    path: "/v1/chat/completions",
    maxTokensField: "max_tokens",
    includeUsage: true,
  },
  {
    provider: "xai",
    path: "/v1/chat/completions",
    maxTokensField: "max_tokens",
    includeUsage: true,
  },
  {
    provider: "mistral",
    path: "/v1/chat/completions",
    maxTokensField: "max_tokens",
    includeUsage: false,
  },
  {
    provider: "qwen",
    path: "/compatible-mode/v1/chat/completions",
    maxTokensField: "max_tokens",
    includeUsage: true,
  },
  {
    provider: "huggingface",
    path: "/v1/chat/completions",
    maxTokensField: "max_tokens",
    includeUsage: true,
  },
];

describe("what is sent", () => {
  it.each(sentCases)("$provider: path, auth, body", async (sent) => {
    // The factory each provider exports, as the registry calls it.
    const adapter = factories[sent.provider]({
      apiKey: TEST_KEY,
      baseUrl: server.baseUrl(sent.provider),
    });
    server.script({
      kind: "stream",
      provider: sent.provider,
      fixture: fixtures[sent.provider].name,
    });
    const result = await run(adapter, chatCall({ model: "some-model", maxTokens: 321 }));
    expect(result.error).toBeUndefined();

    const request = server.received.at(-1);
    expect(request?.path).toBe(sent.path);
    expect(request?.headers.authorization).toBe(`Bearer ${TEST_KEY}`);
    // Retries belong to the gateway's router.
    expect(request?.headers["x-stainless-retry-count"]).toBe("0");
    const other = sent.maxTokensField === "max_tokens" ? "max_completion_tokens" : "max_tokens";
    expect(request?.body).toEqual({
      model: "some-model",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Say hello." },
      ],
      [sent.maxTokensField]: 321,
      stream: true,
      ...(sent.includeUsage ? { stream_options: { include_usage: true } } : {}),
    });
    expect(request?.body).not.toHaveProperty(other);
    // No temperature unless the call sets one.
    expect(request?.body).not.toHaveProperty("temperature");
  });

  it("sends temperature when the call sets it, 0 included", async () => {
    server.script(
      { kind: "stream", provider: "openai", fixture: fixtures.openai.name },
      { kind: "stream", provider: "openai", fixture: fixtures.openai.name },
    );
    const adapter = adapterFor(server, "openai");
    await run(adapter, chatCall({ temperature: 0.7 }));
    expect(server.received.at(-1)?.body.temperature).toBe(0.7);
    await run(adapter, chatCall({ temperature: 0 }));
    expect(server.received.at(-1)?.body.temperature).toBe(0);
  });

  it("mistral: the real API refuses stream_options, which the adapter never sends", async () => {
    // The wire profile answers 422 extra_forbidden, as Mistral does, if the field is there.
    server.script({ kind: "stream", provider: "mistral", fixture: "mistral-small" });
    const result = await run(adapterFor(server, "mistral"));
    expect(result.error).toBeUndefined();
    expect(server.received.at(-1)?.body).not.toHaveProperty("stream_options");
  });

  it("sends no OpenAI organization or project header taken from the environment", async () => {
    process.env.OPENAI_ORG_ID = "org-leak";
    process.env.OPENAI_PROJECT_ID = "proj-leak";
    const adapter = adapterFor(server, "deepseek");
    server.script({ kind: "stream", provider: "deepseek", fixture: fixtures.deepseek.name });
    await run(adapter);
    const headers = server.received.at(-1)?.headers;
    expect(headers?.["openai-organization"]).toBeUndefined();
    expect(headers?.["openai-project"]).toBeUndefined();
  });

  it("without a key: ProviderAuthError, no request, and never OPENAI_API_KEY as a fallback", async () => {
    process.env.OPENAI_API_KEY = "sk-openai-must-not-travel";
    const before = server.received.length;
    const adapter = createGoogle({ baseUrl: server.baseUrl("google") });
    const error = await openError(adapter);
    expect(error).toBeInstanceOf(ProviderAuthError);
    expect(error).toMatchObject({ provider: "google", retryable: false });
    expect(server.received.length).toBe(before);
  });

  it("accepts a base URL with a trailing slash", async () => {
    const adapter = createQwen({ apiKey: TEST_KEY, baseUrl: `${server.baseUrl("qwen")}/` });
    server.script({ kind: "stream", provider: "qwen", fixture: fixtures.qwen.name });
    const result = await run(adapter);
    expect(result.error).toBeUndefined();
    expect(server.received.at(-1)?.path).toBe("/compatible-mode/v1/chat/completions");
  });
});

describe("default base URLs", () => {
  it.each([
    ["openai", "https://api.openai.com/v1"],
    ["google", "https://generativelanguage.googleapis.com/v1beta/openai"],
    ["deepseek", "https://api.deepseek.com/v1"],
    ["xai", "https://api.x.ai/v1"],
    ["mistral", "https://api.mistral.ai/v1"],
    ["qwen", "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"],
    ["huggingface", "https://router.huggingface.co/v1"],
  ] as const)("%s → %s", (provider, url) => {
    expect(profiles[provider].defaultBaseUrl).toBe(url);
    expect(factories[provider]({ apiKey: TEST_KEY }).id).toBe(provider);
  });
});
