import type { GatewayConfig } from "../config.ts";
import type { ProviderKeyStore } from "../vault/provider-keys.ts";
import { createAdapter as anthropic } from "./anthropic/index.ts";
import { createAdapter as bedrock } from "./bedrock/index.ts";
import { createAdapter as deepseek } from "./deepseek/index.ts";
import { createDemoAdapter } from "./demo/index.ts";
import { createAdapter as google } from "./google/index.ts";
import { createAdapter as huggingface } from "./huggingface/index.ts";
import { createAdapter as mistral } from "./mistral/index.ts";
import { createAdapter as openai } from "./openai/index.ts";
import { createAdapter as qwen } from "./qwen/index.ts";
import type { AdapterFactory, ProviderAdapter, ProviderId, ProviderSettings } from "./types.ts";
import { createAdapter as xai } from "./xai/index.ts";

const AWS_CREDENTIAL_VARIABLES = [
  "AWS_BEARER_TOKEN_BEDROCK",
  "AWS_ACCESS_KEY_ID",
  "AWS_PROFILE",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
];

/**
 * Builds one adapter per provider, on first use, from the configuration:
 * an environment variable key wins over a key stored in the vault.
 */
export class ProviderRegistry {
  readonly #config: GatewayConfig;
  readonly #keys: ProviderKeyStore;
  readonly #factories: Record<ProviderId, AdapterFactory>;
  readonly #adapters = new Map<ProviderId, ProviderAdapter>();

  constructor(config: GatewayConfig, keys: ProviderKeyStore) {
    this.#config = config;
    this.#keys = keys;
    this.#factories = {
      openai,
      anthropic,
      google,
      bedrock,
      deepseek,
      xai,
      mistral,
      qwen,
      huggingface,
      demo: createDemoAdapter({ delayMs: config.demoDelayMs }),
    };
  }

  settingsFor(id: ProviderId): ProviderSettings {
    const settings = { ...this.#config.providers[id] };
    if (!settings.apiKey && id !== "demo") {
      const stored = this.#keys.get(id);
      if (stored) settings.apiKey = stored;
    }
    return settings;
  }

  /** Whether this provider can be called: a key (or AWS credentials for Bedrock), or the demo. */
  isConfigured(id: ProviderId, env: NodeJS.ProcessEnv = process.env): boolean {
    if (id === "demo") return true;
    if (this.settingsFor(id).apiKey) return true;
    return id === "bedrock" && AWS_CREDENTIAL_VARIABLES.some((name) => Boolean(env[name]));
  }

  adapter(id: ProviderId): ProviderAdapter {
    let adapter = this.#adapters.get(id);
    if (!adapter) {
      adapter = this.#factories[id](this.settingsFor(id));
      this.#adapters.set(id, adapter);
    }
    return adapter;
  }
}
