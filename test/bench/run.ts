/**
 * npm run bench [-- --quick] [-- --only c250,c1000] [-- --targets relay,sluice] [-- --cpu-prof sluice]
 *
 * Streams the same fixed-cadence answers directly from a local upstream and
 * through each target (bare relay, Portkey, Sluice), interleaved, and prints what
 * each hop adds. Not a test: MISS lines do not fail the run; only a broken
 * harness exits non-zero. See docs/benchmarks.md.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { SCENARIOS } from "./scenarios/index.ts";
import type { Check, Scenario, ScenarioResult } from "./scenarios/types.ts";
import { TARGETS } from "./targets/index.ts";
import type { RunningTarget } from "./targets/types.ts";
import { startUpstream, type Upstream } from "./upstream/index.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WATCHDOG_MS = { full: 15 * 60_000, quick: 3 * 60_000 };

const USAGE = `npm run bench -- [options]
  --quick              small sizes, finishes in under a minute (a smoke check)
  --only <names>       scenarios to run, comma-separated: ${SCENARIOS.map((s) => s.name).join(", ")}
  --targets <names>    targets to run, comma-separated: ${TARGETS.map((t) => t.name).join(", ")} (direct always runs)
  --cpu-prof <names>   start these targets with node --cpu-prof; the profiles are kept and their folder printed
  --cpu-prof-interval <µs>  sampling interval of those profiles (default 1000; 100 to see a single request's path)
  --help`;

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string", multiple: true },
      targets: { type: "string", multiple: true },
      "cpu-prof": { type: "string", multiple: true },
      "cpu-prof-interval": { type: "string", default: "1000" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const names = (lists: string[] | undefined) =>
    lists?.flatMap((list) => list.split(",")).filter(Boolean);
  const only = names(values.only);
  const targets = names(values.targets);
  const cpuProf = names(values["cpu-prof"]) ?? [];
  const unknown = [
    ...(only ?? []).filter((name) => !SCENARIOS.some((s) => s.name === name)),
    ...[...(targets ?? []), ...cpuProf].filter((name) => !TARGETS.some((t) => t.name === name)),
  ];
  if (unknown.length > 0)
    throw new UsageError(`unknown scenario or target: ${unknown.join(", ")}\n${USAGE}`);
  const cpuProfInterval = Number(values["cpu-prof-interval"]);
  if (!Number.isInteger(cpuProfInterval) || cpuProfInterval < 1) {
    throw new UsageError(`--cpu-prof-interval must be a whole number of µs\n${USAGE}`);
  }
  return { quick: values.quick, help: values.help, only, targets, cpuProf, cpuProfInterval };
}

class UsageError extends Error {}

async function main(): Promise<number> {
  const args = options();
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const scenarios = SCENARIOS.filter((s) => !args.only || args.only.includes(s.name));
  const wanted = new Set(scenarios.flatMap((s) => s.targets));
  wanted.add("direct");
  const definitions = TARGETS.filter(
    (t) =>
      wanted.has(t.name) && (t.name === "direct" || !args.targets || args.targets.includes(t.name)),
  );

  printHeader(args.quick);
  const tempDir = mkdtempSync(join(tmpdir(), "sluice-bench-"));
  const profileDir =
    args.cpuProf.length > 0 ? mkdtempSync(join(tmpdir(), "sluice-bench-prof-")) : undefined;
  const running: RunningTarget[] = [];
  let upstream: Upstream | undefined;
  const cleanup = async () => {
    await Promise.allSettled(running.map((target) => target.stop()));
    await upstream?.child.stop();
    rmSync(tempDir, { recursive: true, force: true });
  };
  const boundMs = args.quick ? WATCHDOG_MS.quick : WATCHDOG_MS.full;
  const watchdog = setTimeout(() => {
    console.error(`bench: the run took longer than its ${boundMs / 60_000} min bound; stopping`);
    cleanup().finally(() => process.exit(1));
  }, boundMs);
  process.once("SIGINT", () => {
    cleanup().finally(() => process.exit(130));
  });

  const checks: Check[] = [];
  const startFailures = new Map<string, string>();
  const errors: string[] = [];
  try {
    upstream = await startUpstream();
    console.log(`upstream  ${upstream.origin} (pid ${upstream.child.pid})`);
    for (const definition of definitions) {
      const nodeFlags =
        profileDir && args.cpuProf.includes(definition.name)
          ? [
              "--cpu-prof",
              `--cpu-prof-interval=${args.cpuProfInterval}`,
              `--cpu-prof-dir=${profileDir}`,
            ]
          : [];
      try {
        const target = await definition.start({
          upstreamOrigin: upstream.origin,
          tempDir,
          root: ROOT,
          nodeFlags,
          started: running,
        });
        running.push(target);
        const where = `127.0.0.1:${target.port}${target.pid ? ` (pid ${target.pid})` : ""}`;
        console.log(`${definition.name.padEnd(9)} ${where}: ${definition.description}`);
      } catch (error) {
        if (definition.name === "direct") throw error;
        startFailures.set(definition.name, firstLines(error));
        console.log(`${definition.name.padEnd(9)} FAILED TO START: ${firstLines(error)}`);
      }
    }

    for (const scenario of scenarios) {
      const result = await runScenario(scenario, running, upstream, args.quick, startFailures);
      checks.push(...result.checks);
      if (result.error) errors.push(`${scenario.name}: ${result.error}`);
    }
    printChecks(checks, args.quick);
    console.log(`\nload average at the end: ${load()}`);
    for (const error of errors) console.error(`\nbench: scenario ${error}`);
  } finally {
    clearTimeout(watchdog);
    await cleanup();
    if (profileDir) {
      console.log(`\nCPU profiles (summarise with test/bench/profile.ts): ${profileDir}`);
    }
  }
  return errors.length > 0 ? 1 : 0;
}

async function runScenario(
  scenario: Scenario,
  running: RunningTarget[],
  upstream: Upstream,
  quick: boolean,
  startFailures: ReadonlyMap<string, string>,
): Promise<ScenarioResult> {
  const targets = running.filter((t) => t.name === "direct" || scenario.targets.includes(t.name));
  console.log(`\n== ${scenario.name}: ${scenario.describe(quick)}`);
  const progress = (text: string) => process.stderr.write(`   [${scenario.name}] ${text}\n`);
  const result = await scenario.run({ targets, upstream, quick, startFailures, progress });
  console.log(result.text);
  return result;
}

function printHeader(quick: boolean): void {
  const cpu = cpus()[0]?.model ?? "unknown cpu";
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: ROOT,
      encoding: "utf8",
    }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "server", "bin"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    if (dirty.trim()) commit += " (server/ has uncommitted changes)";
  } catch {}
  console.log(`Sluice bench ${quick ? "(quick)" : "(full)"} — ${new Date().toISOString()}`);
  console.log(
    `node ${process.version}, ${availableParallelism()} cpus (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
      `load average ${load()}, commit ${commit}`,
  );
  console.log(
    '"+" = added: target percentile − direct percentile (same run, same rounds); gap = between two chunks;\n' +
      "lag = chunk arrival − upstream send time; times in ms\n",
  );
}

function printChecks(checks: Check[], quick: boolean): void {
  console.log(`\n== targets${quick ? " (quick sizes: indicative only)" : ""}`);
  for (const check of checks) {
    const verdict = check.info
      ? "INFO"
      : check.pass === undefined
        ? "N/A "
        : check.pass
          ? "PASS"
          : "MISS";
    console.log(`  ${verdict}  ${check.label} — ${check.detail}`);
  }
}

function load(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
}

function firstLines(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n").slice(0, 8).join("\n    ");
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exitCode = 2;
      return;
    }
    console.error("bench: the harness broke:", error);
    process.exitCode = 1;
  },
);
