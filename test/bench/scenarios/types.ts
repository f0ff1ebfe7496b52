import type { RunningTarget } from "../targets/types.ts";
import type { Upstream } from "../upstream/index.ts";

export interface ScenarioContext {
  /** The running targets this scenario asked for, in report order; "direct" is always first. */
  targets: RunningTarget[];
  upstream: Upstream;
  quick: boolean;
  /** Why a target this scenario asked for did not start, by target name. */
  startFailures: ReadonlyMap<string, string>;
  progress(text: string): void;
}

/** One target line of the brief, printed as PASS or MISS. */
export interface Check {
  label: string;
  /** undefined: could not be judged (a target did not run), or a figure only (`info`). */
  pass: boolean | undefined;
  /** A figure the brief asks to print without a limit: printed as INFO. */
  info?: boolean;
  detail: string;
}

export interface ScenarioResult {
  /** The scenario's tables and notes, ready to print. */
  text: string;
  checks: Check[];
  /**
   * Set when the scenario could not run what it is for (e.g. a missing system
   * package): printed at the end, and the bench exits non-zero.
   */
  error?: string;
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
