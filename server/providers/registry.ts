import type { GatewayConfig } from "../config.ts";
import type { KeyScope, ProviderKeyStore } from "../vault/provider-keys.ts";
import { createDemoAdapter } from "./demo/index.ts";
import { ProviderAuthError } from "./errors.ts";
import { createNodeFetch } from "./transport/node-fetch.ts";
import type {
  AdapterFactory,
  ProviderAdapter,
  ProviderCall,
  ProviderEvent,
  ProviderId,
} from "./types.ts";

const AWS_CREDENTIAL_VARIABLES = [
  "AWS_BEARER_TOKEN_BEDROCK",
  "AWS_ACCESS_KEY_ID",
  "AWS_PROFILE",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
];

export interface RegistryOptions {
  /** A call the provider refused with the new key was opened with the key it replaced (grace period). */
  onPreviousKeyUsed?: (scope: KeyScope) => void;
}

/**
 * Opens provider calls with the key the request's site may use.
 * - An environment variable key (SLUICE_OPENAI_API_KEY…) wins over stored
 *   keys, for every site: its adapter is built once and kept (the key is in the
 *   process environment anyway). So are the demo's and, for Bedrock without a
 *   key, the AWS credential chain's.
 * - Otherwise the vault's key for the site's scope (ProviderKeyStore.resolve:
 *   site and SLUICE_ENV, site, SLUICE_ENV, everywhere) is opened for each call,
 *   an adapter is built with it, and both are dropped once the call is open
 *   (the open stream keeps what it needs). A key scoped to another site or
 *   environment is never a candidate. The OpenAI-compatible clients built so
 *   share one transport (pooled connections); Anthropic's SDK pools in the
 *   global fetch; a Bedrock client built per call opens its own connection.
 * - During a rotation's grace period, a call the provider refuses with the new
 *   key (401, 403) is opened once more with the key it replaced.
 */
export class ProviderRegistry {
  readonly #config: GatewayConfig;
  readonly #keys: ProviderKeyStore;
  readonly #options: RegistryOptions;
  readonly #factories: Record<ProviderId, () => Promise<AdapterFactory>>;
  /** Adapters that hold no vault key: the demo, environment variable keys, Bedrock's AWS chain. */
  readonly #shared = new Map<ProviderId, Promise<ProviderAdapter>>();
  /** One transport for the adapters built per call: they share its pooled connections. */
  readonly #fetch = createNodeFetch();

  constructor(config: GatewayConfig, keys: ProviderKeyStore, options: RegistryOptions = {}) {
    this.#config = config;
    this.#keys = keys;
    this.#options = options;
    // Each SDK is loaded on first use: a gateway that only talks to one
    // provider does not carry the others' code in memory.
    const demo = createDemoAdapter({ delayMs: config.demoDelayMs });
    this.#factories = {
      openai: async () => (await import("./openai/index.ts")).createAdapter,
      anthropic: async () => (await import("./anthropic/index.ts")).createAdapter,
      google: async () => (await import("./google/index.ts")).createAdapter,
      bedrock: async () => (await import("./bedrock/index.ts")).createAdapter,
      deepseek: async () => (await import("./deepseek/index.ts")).createAdapter,
      xai: async () => (await import("./xai/index.ts")).createAdapter,
      mistral: async () => (await import("./mistral/index.ts")).createAdapter,
      qwen: async () => (await import("./qwen/index.ts")).createAdapter,
      huggingface: async () => (await import("./huggingface/index.ts")).createAdapter,
      demo: async () => demo,
    };
  }

  /**
   * Whether this provider can be called for `siteId` (without one: with a key
   * for every site): an environment variable key, a stored key its scope
   * allows, AWS credentials for Bedrock, or the demo.
   */
  isConfigured(id: ProviderId, siteId?: string, env: NodeJS.ProcessEnv = process.env): boolean {
    if (id === "demo" || this.#config.providers[id].apiKey) return true;
    if (this.#keys.has(id, this.#config.environment, siteId)) return true;
    return id === "bedrock" && AWS_CREDENTIAL_VARIABLES.some((name) => Boolean(env[name]));
  }

  /** Opens one call to `provider` for `siteId`, with the key its scope allows (see the class). */
  async open(
    provider: ProviderId,
    call: ProviderCall,
    signal: AbortSignal,
    siteId: string | undefined,
  ): Promise<AsyncIterable<ProviderEvent>> {
    const settings = this.#config.providers[provider];
    if (provider === "demo" || settings.apiKey)
      return (await this.#sharedAdapter(provider)).open(call, signal);
    const stored = this.#keys.resolve(provider, this.#config.environment, siteId);
    if (!stored) {
      if (provider === "bedrock") return (await this.#sharedAdapter(provider)).open(call, signal);
      const site = siteId === undefined ? "every site" : `site ${siteId}`;
      throw new ProviderAuthError(
        `${provider}: no API key for ${site} in environment ${this.#config.environment}`,
        { provider },
      );
    }
    const factory = await this.#factories[provider]();
    const perCall = { ...settings, fetch: this.#fetch };
    try {
      return await factory({ ...perCall, apiKey: stored.key }).open(call, signal);
    } catch (error) {
      if (!(error instanceof ProviderAuthError) || !stored.openPrevious || signal.aborted) {
        throw error;
      }
      this.#options.onPreviousKeyUsed?.(stored.scope);
      return factory({ ...perCall, apiKey: stored.openPrevious() }).open(call, signal);
    }
  }

  #sharedAdapter(id: ProviderId): Promise<ProviderAdapter> {
    let adapter = this.#shared.get(id);
    if (!adapter) {
      adapter = this.#factories[id]().then((factory) => factory({ ...this.#config.providers[id] }));
      this.#shared.set(id, adapter);
    }
    return adapter;
  }
}
