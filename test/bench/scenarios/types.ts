import type { RunningTarget } from "../targets/types.ts";
import type { Upstream } from "../upstream/index.ts";

export interface ScenarioContext {
  /** The running targets this scenario asked for, in report order; "direct" is always first. */
  targets: RunningTarget[];
  upstream: Upstream;
  quick: boolean;
  progress(text: string): void;
}

/** One target line of the brief, printed as PASS or MISS. */
export interface Check {
  label: string;
  /** undefined: could not be judged (a target did not run). */
  pass: boolean | undefined;
  detail: string;
}

export interface ScenarioResult {
  /** The scenario's tables and notes, ready to print. */
  text: string;
  checks: Check[];
}

/** A scenario: adding one means adding a file here and listing it in index.ts. */
export interface Scenario {
  name: string;
  /** One line: what runs, at which size (quick mode may be smaller). */
  describe(quick: boolean): string;
  /** Names of the targets it runs against ("direct" is added when missing). */
  targets: string[];
  run(context: ScenarioContext): Promise<ScenarioResult>;
}
