/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof sluice`):
 * where the process spent its CPU, by function (self time) and by package or
 * project folder (self time of everything in it).
 *
 * and the inclusive time of the project's own functions (server/, bin/).
 *
 * Usage: node --import tsx test/bench/profile.ts <file.cpuprofile> [--top 25] [--skip 3]
 *   --skip S   ignore the first S seconds (start-up: module loading, tsx compiling)
 *   --focus F  count only samples whose stack holds a function or file matching F (e.g. auth.ts)
 *   --within R the inclusive table lists functions whose file matches this regex (default: server/ and bin/)
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: "string", default: "25" },
    skip: { type: "string", default: "0" },
    focus: { type: "string" },
    within: { type: "string", default: "/(server|bin)/" },
  },
});
const file = positionals[0];
if (!file) {
  console.error("usage: node --import tsx test/bench/profile.ts <file.cpuprofile> [--top N]");
  process.exit(2);
}
const top = Number(values.top);
const skipUs = Number(values.skip) * 1e6;
const within = new RegExp(values.within);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parentOf.set(child, node.id);
const selfUs = new Map<number, number>();
const inclusive = new Map<string, number>();
let elapsedUs = 0;
for (let index = 0; index < profile.samples.length; index += 1) {
  const id = profile.samples[index] as number;
  const delta = profile.timeDeltas[index] ?? 0;
  elapsedUs += delta;
  if (elapsedUs < skipUs) continue;
  if (values.focus && !stackMatches(id, values.focus)) continue;
  selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  if (byId.get(id)?.callFrame.functionName === "(idle)") continue;
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const frame = byId.get(at)?.callFrame;
    if (!frame || !within.test(frame.url)) continue;
    seen.add(
      `${frame.functionName || "(anonymous)"} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`,
    );
  }
  for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + delta);
}
function stackMatches(id: number, focus: string): boolean {
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const frame = byId.get(at)?.callFrame;
    if (frame && `${frame.functionName} ${frame.url}`.includes(focus)) return true;
  }
  return false;
}

const totalUs = profile.endTime - profile.startTime - Math.min(skipUs, elapsedUs);
let idleUs = 0;
const byFunction = new Map<string, number>();
const byArea = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  if (!node) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  if (functionName === "(idle)") {
    idleUs += us;
    continue;
  }
  const name = `${functionName || "(anonymous)"} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ""}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  byArea.set(area(functionName, url), (byArea.get(area(functionName, url)) ?? 0) + us);
}
const busyUs = totalUs - idleUs;

console.log(
  `${file}\nwall ${(totalUs / 1e6).toFixed(1)} s, busy ${(busyUs / 1e6).toFixed(1)} s (${((busyUs / totalUs) * 100).toFixed(0)}%)`,
);
print("self time by area (package, project folder, or V8/GC)", byArea, busyUs, top);
print("self time by function", byFunction, busyUs, top);
print(`inclusive time of functions in files matching ${within.source}`, inclusive, busyUs, top);

function print(title: string, table: Map<string, number>, busy: number, limit: number): void {
  console.log(`\n${title}:`);
  const rows = [...table.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit);
  for (const [name, us] of rows) {
    console.log(
      `  ${(us / 1000).toFixed(0).padStart(7)} ms  ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${name}`,
    );
  }
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) return url.slice(modules + "node_modules/".length);
  const project = url.search(/\/(server|test|bin)\//);
  if (project >= 0) return url.slice(project + 1);
  return url.replace(/^file:\/\//, "");
}

function area(functionName: string, url: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native/V8)";
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + "node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const project = url.search(/\/(server|test|bin)\//);
  if (project >= 0) {
    const parts = url.slice(project + 1).split("/");
    return parts.slice(0, Math.min(3, parts.length - 1)).join("/") || parts.join("/");
  }
  return url;
}
