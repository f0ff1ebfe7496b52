import type { StreamSpec } from "../lib/spec.ts";

/** How a target's stream is read: OpenAI chunks, or Sluice's wire format v1. */
export type WireFormat = "openai" | "sluice";

export interface PreparedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A target that is up and can take streams. */
export interface RunningTarget {
  name: string;
  host: string;
  port: number;
  /** The process to watch for memory and CPU; undefined when there is no process of its own. */
  pid: number | undefined;
  format: WireFormat;
  /** The request for one stream; called once per stream (a fresh nonce each time for Sluice). */
  prepare(spec: StreamSpec): PreparedRequest;
  /** The tail of the target process's stdout and stderr (printed when its streams fail). */
  output(): string;
  stop(): Promise<void>;
}

export interface TargetContext {
  /** The upstream's origin, e.g. http://127.0.0.1:4100 (no path). */
  upstreamOrigin: string;
  /** A private temp dir for this run (removed at the end). */
  tempDir: string;
  /** Project root (where package.json is). */
  root: string;
  /** Extra node flags for the target's process, e.g. --cpu-prof (only where asked). */
  nodeFlags: string[];
  /** The targets started before this one, in TARGETS order (a hop in front of another target finds it here). */
  started: readonly RunningTarget[];
}

/** A kind of target: adding one means adding a file here and listing it in index.ts. */
export interface TargetDefinition {
  name: string;
  /** One line for the report. */
  description: string;
  start(context: TargetContext): Promise<RunningTarget>;
}
