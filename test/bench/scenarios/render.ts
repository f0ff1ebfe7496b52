import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "@playwright/test";
import { build } from "esbuild";
import { count, ms, table } from "../lib/report.ts";
import { type Percentiles, percentiles } from "../lib/stats.ts";
import { answerMarkdown, CODE_LINES, splitDeltas, TABLE_ROWS } from "../render/answer.ts";
import type { RenderRecord } from "../render/instrument.ts";
import type { Check, Scenario, ScenarioResult } from "./types.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DELTAS = 5000;
/** One delta every this many ms: 100 a second in a full run (a fast model), 500 in quick mode. */
const INTERVAL_MS = { full: 10, quick: 2 };
/** The browser's own threshold for a long task, and the brief's limit. */
const LONG_TASK_MS = 50;
const LABEL = `render: no long task over ${LONG_TASK_MS} ms while a ${DELTAS.toLocaleString("en")}-delta answer streams`;
const CHROMIUM =
  process.env.SLUICE_CHROMIUM || process.env.SLUICE_E2E_CHROMIUM || "/usr/bin/chromium";
const INSTALL =
  "install it with `bash scripts/install-system-deps.sh` (Debian's chromium package), " +
  "or point SLUICE_CHROMIUM at a Chromium binary";
/** Trace categories with the renderer's RunTask events (what DevTools' Performance panel shows). */
const TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline"];
const PATH = { page: "/", script: "/view.js", chat: "/wp-json/sluice/v1/chat" };
/**
 * The passes, one after the other: this machine as it is (judged), then with the CPU
 * slowed 4 × by Chromium's own throttling (DevTools' "4× slowdown", Lighthouse's mobile
 * setting): about a mid-range phone. Printed as INFO.
 */
const PASSES = [
  { name: "chromium", cpuSlowdown: 1 },
  { name: "chromium 4× CPU", cpuSlowdown: 4 },
];
const INFO_LABEL = "render: the same with the CPU slowed 4 × (a mid-range phone)";

/**
 * The Chat block's front end (blocks/chat/view.ts, bundled from source with esbuild),
 * in Chromium, on a page of its own; the chat route is a local server that streams a
 * 5,000-delta Markdown answer (prose, a 40-row table, two 60-line fences) at a model's
 * pace, so the block reads, parses and writes it exactly as on a site. Long tasks are
 * read with a PerformanceObserver in the page and, beside it, from a Chromium trace.
 */
export const render: Scenario = {
  name: "render",
  targets: ["direct"],
  describe(quick) {
    const interval = quick ? INTERVAL_MS.quick : INTERVAL_MS.full;
    return (
      `the Chat block in Chromium (${CHROMIUM}) writes one streamed answer of ${DELTAS.toLocaleString("en")} deltas ` +
      `(prose, a ${TABLE_ROWS}-row table, two ${CODE_LINES}-line code fences), one delta every ${interval} ms; ` +
      `long tasks from a PerformanceObserver and a trace; then the same with the CPU slowed 4 ×`
    );
  },
  async run(context) {
    if (!existsSync(CHROMIUM)) {
      const error = `Chromium is missing (${CHROMIUM}): ${INSTALL}`;
      return { text: `  ${error}`, checks: [notMeasured()], error };
    }
    const intervalMs = context.quick ? INTERVAL_MS.quick : INTERVAL_MS.full;
    const answer = answerMarkdown();
    const deltas = splitDeltas(answer, DELTAS);
    context.progress("bundling blocks/chat/view.ts with esbuild");
    const files = await pageFiles();
    let browser: Browser;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    } catch (launchError) {
      const error = `Chromium did not start (${CHROMIUM}): ${firstLine(launchError)}; ${INSTALL}`;
      return { text: `  ${error}`, checks: [notMeasured()], error };
    }
    const passes: Pass[] = [];
    try {
      for (const pass of PASSES) {
        context.progress(
          `${pass.name}: streaming ${DELTAS} deltas, one every ${intervalMs} ms ` +
            `(about ${Math.round((DELTAS * intervalMs) / 1000)} s)`,
        );
        const site = await startSite(files, deltas, intervalMs);
        try {
          const timeoutMs = deltas.length * intervalMs + 60_000 * pass.cpuSlowdown;
          const measured = await measure(
            browser,
            site,
            files.instrument,
            pass.cpuSlowdown,
            timeoutMs,
          );
          passes.push(summarise(pass.name, measured, site.stream, answer));
        } finally {
          await new Promise<void>((resolve) => site.server.close(() => resolve()));
        }
      }
    } finally {
      await browser.close().catch(() => {});
    }
    return report(passes, answer, intervalMs);
  },
};

function notMeasured(): Check {
  return { label: LABEL, pass: undefined, detail: "not measured" };
}

interface PageFiles {
  html: string;
  script: string;
  instrument: string;
}

/** The block's script and the page's recorder, bundled now from the working tree. */
async function pageFiles(): Promise<PageFiles> {
  const bundle = async (entry: string) => {
    const result = await build({
      entryPoints: [`${ROOT}${entry}`],
      bundle: true,
      write: false,
      format: "iife",
      platform: "browser",
      target: "es2022",
      minify: true,
      define: { "process.env.NODE_ENV": '"production"' },
      logLevel: "silent",
    });
    const file = result.outputFiles[0];
    if (!file) throw new Error(`esbuild wrote nothing for ${entry}`);
    return file.text;
  };
  const css = ["blocks/chat/style.css", "blocks/chat/conversation.css"]
    .filter((file) => existsSync(`${ROOT}${file}`))
    .map((file) => readFileSync(`${ROOT}${file}`, "utf8"))
    .join("\n");
  return {
    html: pageHtml(css),
    script: await bundle("blocks/chat/view.ts"),
    instrument: await bundle("test/bench/render/instrument.ts"),
  };
}

/** A theme-like page with one Chat block, its config as render.php prints it. */
function pageHtml(css: string): string {
  const config = {
    restUrl: PATH.chat,
    postId: 1,
    blockId: "bench-render",
    streamingMode: "auto",
    memoryDays: 0,
    canSeeCost: false,
    texts: { title: "Ask the shop", welcome: "", placeholder: "Your question", suggestions: [] },
  };
  const attribute = JSON.stringify(config)
    .replace(/&/g, "&amp;")
    .replace(/"/g, "&quot;")
    .replace(/</g, "&lt;");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice render bench</title>
<style>
body { margin: 0; font: 17px/1.6 system-ui, sans-serif; color: #1e1e1e; background: #fff; }
main { max-width: 720px; margin: 2rem auto; padding: 0 1rem; }
</style>
<style>${css}</style>
</head>
<body>
<main>
<h1>Support</h1>
<p>Questions about your sites, answered by the shop's assistant.</p>
<div class="wp-block-sluice-chat" data-sluice-chat="${attribute}"></div>
</main>
<script src="${PATH.script}"></script>
</body>
</html>
`;
}

interface StreamLog {
  requests: number;
  /** Epoch ms (performance.timeOrigin + now) of the first and the last delta written. */
  firstAt: number | undefined;
  lastAt: number | undefined;
  sent: number;
  /** Deltas written later than 5 ms after their due time (the bench's own timer falling behind). */
  late: number;
}

interface Site {
  server: Server;
  origin: string;
  stream: StreamLog;
}

/** Serves the page, the script and the chat route (wire format v1, as the plugin relays it). */
async function startSite(files: PageFiles, deltas: string[], intervalMs: number): Promise<Site> {
  const stream: StreamLog = {
    requests: 0,
    firstAt: undefined,
    lastAt: undefined,
    sent: 0,
    late: 0,
  };
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method === "GET" && path === PATH.page) {
      send(response, "text/html; charset=utf-8", files.html);
    } else if (request.method === "GET" && path === PATH.script) {
      send(response, "text/javascript; charset=utf-8", files.script);
    } else if (request.method === "POST" && path === PATH.chat) {
      stream.requests++;
      streamAnswer(request, response, deltas, intervalMs, stream);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}`, stream };
}

function send(response: ServerResponse, type: string, body: string): void {
  response.writeHead(200, { "Content-Type": type, "Cache-Control": "no-store" }).end(body);
}

const epochNow = () => performance.timeOrigin + performance.now();
const frame = (event: object) => `data: ${JSON.stringify(event)}\n\n`;

/**
 * usage_start, the deltas on schedule (delta i due at i × interval from the first, so a
 * late timer sends what is due at once instead of pushing the rest back), usage_final
 * and [DONE]: what the gateway sends and the plugin relays.
 */
function streamAnswer(
  request: IncomingMessage,
  response: ServerResponse,
  deltas: string[],
  intervalMs: number,
  log: StreamLog,
): void {
  request.resume();
  request.on("end", () => {
    response.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Accel-Buffering": "no",
    });
    const requestId = `bench-render-${log.requests}`;
    const base = { request_id: requestId, provider: "openai", model: "gpt-4o-mini" };
    response.write(
      frame({
        type: "usage_start",
        ...base,
        input_tokens: 24,
        max_tokens: 8192,
        requested_model: "auto",
        degraded: false,
        degraded_from: null,
        max_tokens_lowered_from: null,
        reserved_usd: 0.01,
      }),
    );
    const start = performance.now();
    let next = 0;
    let closed = false;
    response.on("close", () => {
      closed = true;
    });
    const tick = () => {
      if (closed) return;
      const now = performance.now();
      let chunk = "";
      while (next < deltas.length && start + next * intervalMs <= now) {
        if (now - (start + next * intervalMs) > 5) log.late++;
        chunk += frame({ type: "content", data: deltas[next], provider: "openai" });
        next++;
      }
      if (chunk) {
        response.write(chunk);
        log.firstAt ??= epochNow();
        log.lastAt = epochNow();
        log.sent = next;
      }
      if (next < deltas.length) {
        setTimeout(tick, Math.max(0, start + next * intervalMs - performance.now()));
        return;
      }
      const latency = performance.now() - start;
      response.write(
        frame({
          type: "usage_final",
          ...base,
          input_tokens: 24,
          output_tokens: deltas.length,
          cache_read_tokens: 0,
          cache_write_tokens: 0,
          reasoning_tokens: 0,
          cost_usd: 0.003,
          cost_picousd: 3_000_000_000,
          priced: true,
          usage_source: "reported",
          finish_reason: "stop",
          latency_ms: Math.round(latency),
          ttfc_ms: 0,
        }),
      );
      response.end("data: [DONE]\n\n");
    };
    tick();
  });
}

/** The renderer main thread's RunTask events in the trace. */
interface TraceTasks {
  count: number;
  /** Durations in ms of those over the limit. */
  long: number[];
  longest: number;
}

interface Measured {
  record: RenderRecord;
  timeOrigin: number;
  /** performance.now() in the page just before the question was sent. */
  sentAt: number;
  trace: TraceTasks;
  dom: RenderedDom;
}

interface RenderedDom {
  tableRows: number;
  pres: number;
  codeLines: number[];
  highlighted: number;
  text: string;
  errors: string[];
}

/** Opens the page, asks one question, waits for the whole answer; the page's record and a trace. */
async function measure(
  browser: Browser,
  site: Site,
  instrument: string,
  cpuSlowdown: number,
  timeoutMs: number,
): Promise<Measured> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  if (cpuSlowdown > 1) {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: cpuSlowdown });
  }
  const pageErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.addInitScript({ content: instrument });
  await page.goto(`${site.origin}${PATH.page}`);
  const input = page.locator(".sluice-chat__input");
  await input.waitFor({ state: "visible", timeout: 15_000 });
  await input.fill("Which of my sites should use direct mode? Show me the figures and the code.");
  await page.waitForTimeout(500);

  await browser.startTracing(page, { categories: TRACE_CATEGORIES });
  const sentAt = (await page.evaluate("performance.now()")) as number;
  await input.press("Enter");
  await page.waitForFunction(DONE_EXPRESSION, undefined, { timeout: timeoutMs, polling: 250 });
  // Anything the last write leaves for the next frames (layout, paint) falls in the trace too.
  await page.waitForTimeout(300);
  const trace = await browser.stopTracing();

  const record = (await page.evaluate("window.__sluiceRender")) as RenderRecord;
  const timeOrigin = (await page.evaluate("performance.timeOrigin")) as number;
  const dom = (await page.evaluate(DOM_EXPRESSION)) as RenderedDom;
  dom.errors.push(...pageErrors);
  await context.close();
  const tasks = traceTasks(trace);
  return { record, timeOrigin, sentAt, trace: tasks, dom };
}

/** The question was sent (busy) and the answer is written to its end (no longer busy). */
const DONE_EXPRESSION = `(() => {
  const busy = window.__sluiceRender?.busy ?? [];
  const sent = busy.findIndex((entry) => entry.value === "true");
  return sent >= 0 && busy.slice(sent + 1).some((entry) => entry.value === "false");
})()`;

/** What the answer's bubble holds at the end. */
const DOM_EXPRESSION = `(() => {
  const bubbles = document.querySelectorAll(".sluice-chat__message--assistant .sluice-chat__bubble");
  const bubble = bubbles[bubbles.length - 1];
  const errors = [...document.querySelectorAll(".sluice-chat__error-text")].map((node) => node.textContent ?? "");
  if (!bubble) return { tableRows: 0, pres: 0, codeLines: [], highlighted: 0, text: "", errors: [...errors, "no answer bubble"] };
  return {
    tableRows: bubble.querySelectorAll("table tr").length,
    pres: bubble.querySelectorAll("pre").length,
    codeLines: [...bubble.querySelectorAll("pre code")].map((code) => (code.textContent ?? "").replace(/\\n$/, "").split("\\n").length),
    highlighted: bubble.querySelectorAll("pre code span[class^=hljs-]").length,
    text: bubble.textContent ?? "",
    errors,
  };
})()`;

interface TraceEvent {
  name?: string;
  ph?: string;
  pid?: number;
  tid?: number;
  dur?: number;
  args?: { name?: string };
}

/** RunTask events of the renderer's main thread (none when the trace cannot be read). */
function traceTasks(trace: Buffer): TraceTasks {
  let events: TraceEvent[];
  try {
    const parsed = JSON.parse(trace.toString("utf8")) as
      | TraceEvent[]
      | { traceEvents: TraceEvent[] };
    events = Array.isArray(parsed) ? parsed : parsed.traceEvents;
  } catch {
    return { count: 0, long: [], longest: 0 };
  }
  const mainThreads = new Set(
    events
      .filter((e) => e.ph === "M" && e.name === "thread_name" && e.args?.name === "CrRendererMain")
      .map((e) => `${e.pid}:${e.tid}`),
  );
  const durations = events
    .filter((e) => e.name === "RunTask" && e.ph === "X" && mainThreads.has(`${e.pid}:${e.tid}`))
    .map((e) => (e.dur ?? 0) / 1000);
  return {
    count: durations.length,
    long: durations.filter((duration) => duration > LONG_TASK_MS),
    longest: durations.reduce((a, b) => Math.max(a, b), 0),
  };
}

/** One pass's figures, and what went wrong with it (then its figures mean nothing). */
interface Pass {
  name: string;
  deltas: number;
  writes: number;
  writeTimes: Percentiles;
  writeSum: number;
  /** The longest write while each kind of block was the one being written (P, TABLE, PRE, …). */
  writeMaxByBlock: Map<string, number>;
  /** For each long task, the block being written by the writes inside it ("" when none). */
  longTaskBlocks: string[];
  longTasks: number[];
  /** Long tasks before the question (page load): not the answer's. */
  beforeTasks: number[];
  trace: TraceTasks;
  firstWriteMs: number | undefined;
  doneMs: number | undefined;
  streamedMs: number | undefined;
  afterLastMs: number | undefined;
  late: number;
  dom: RenderedDom;
  problems: string[];
}

function summarise(name: string, measured: Measured, stream: StreamLog, answer: string): Pass {
  const { record, dom } = measured;
  const busyTrue = record.busy.find(
    (entry) => entry.value === "true" && entry.at >= measured.sentAt,
  );
  const busyFalse = record.busy.find(
    (entry) => entry.value === "false" && entry.at > (busyTrue?.at ?? 0),
  );
  const from = busyTrue?.at ?? measured.sentAt;
  const to = busyFalse?.at ?? Number.POSITIVE_INFINITY;
  // The 300 ms after the end: the last write's layout and paint.
  const inAnswer = (at: number) => at >= from && at <= to + 300;
  const writes = record.writes.filter((write) => inAnswer(write.at));
  const firstWrite = writes[0]?.at;
  const writeMaxByBlock = new Map<string, number>();
  for (const write of writes) {
    writeMaxByBlock.set(write.open, Math.max(writeMaxByBlock.get(write.open) ?? 0, write.ms));
  }
  const longTasks = record.longTasks.filter((task) => inAnswer(task.start));
  const longTaskBlocks = longTasks.map((task) => {
    const inside = writes.filter(
      (write) => write.at >= task.start && write.at <= task.start + task.duration,
    );
    return [...new Set(inside.map((write) => write.open))].join("+");
  });
  const doneEpoch = busyFalse ? measured.timeOrigin + busyFalse.at : undefined;
  const problems = checkDom(dom, answer, stream);
  if (!record.longTasksSupported) problems.push("this Chromium does not report long tasks");
  if (measured.trace.count === 0) problems.push("the trace has no RunTask events");
  return {
    name,
    deltas: stream.sent,
    writes: writes.length,
    writeTimes: percentiles(writes.map((write) => write.ms)),
    writeSum: writes.reduce((sum, write) => sum + write.ms, 0),
    writeMaxByBlock,
    longTasks: longTasks.map((task) => task.duration),
    longTaskBlocks,
    beforeTasks: record.longTasks.filter((task) => task.start < from).map((t) => t.duration),
    trace: measured.trace,
    firstWriteMs: firstWrite !== undefined ? firstWrite - from : undefined,
    doneMs: busyFalse ? busyFalse.at - from : undefined,
    streamedMs:
      stream.firstAt !== undefined && stream.lastAt !== undefined
        ? stream.lastAt - stream.firstAt
        : undefined,
    afterLastMs:
      doneEpoch !== undefined && stream.lastAt !== undefined
        ? doneEpoch - stream.lastAt
        : undefined,
    late: stream.late,
    dom,
    problems,
  };
}

function report(passes: Pass[], answer: string, intervalMs: number): ScenarioResult {
  const longest = (durations: number[]) => durations.reduce((a, b) => Math.max(a, b), 0);
  const rows = passes.map((pass) => [
    pass.name,
    count(pass.deltas, DELTAS),
    String(pass.writes),
    (pass.deltas / Math.max(1, pass.writes)).toFixed(1),
    ms(pass.writeTimes.p50),
    ms(pass.writeTimes.p99),
    ms(pass.writeTimes.max),
    ms(pass.writeSum),
    String(pass.longTasks.length),
    pass.longTasks.length > 0 ? ms(longest(pass.longTasks)) : "—",
    String(pass.trace.long.length),
    ms(pass.trace.longest),
    ms(pass.firstWriteMs),
    ms(pass.doneMs),
    ms(pass.afterLastMs),
  ]);
  const lengths = splitDeltas(answer, DELTAS).map((delta) => [...delta].length);
  const first = passes[0];
  const lines = [
    table(
      [
        "pass",
        "deltas",
        "writes",
        "deltas/write",
        "write p50",
        "write p99",
        "write max",
        "write sum",
        "long tasks",
        "longest",
        "trace >50",
        "trace longest",
        "first write",
        "done",
        "done − last",
      ],
      rows,
    ),
    `  answer: ${answer.length.toLocaleString("en")} characters in ${DELTAS} deltas of ` +
      `${Math.min(...lengths)}–${Math.max(...lengths)}, one every ${intervalMs} ms ` +
      `(stream first → last delta: ${passes.map((pass) => ms(pass.streamedMs)).join(", ")} ms; ` +
      `sent > 5 ms late: ${passes.map((pass) => pass.late).join(", ")})`,
    first
      ? `  rendered: ${first.dom.tableRows} table rows (header included), ${first.dom.pres} code blocks of ` +
        `${first.dom.codeLines.join(" and ")} lines, ${first.dom.highlighted} highlighted spans`
      : "",
    "  write = one requestAnimationFrame callback of the block (parse, sanitize, morph, scroll), in the answer;",
    '  long tasks = PerformanceObserver "longtask" in the page; trace = RunTask events on the renderer\'s main',
    "  thread from a Chromium trace of the answer; first write, done = from the question sent (the log busy);",
    "  done − last = the answer written to its end − the last delta sent (epoch clocks)",
    ...passes.map(
      (pass) =>
        `  ${pass.name}, write max by the block being written: ` +
        [...pass.writeMaxByBlock]
          .sort((a, b) => b[1] - a[1])
          .map(([block, max]) => `${block || "none"} ${ms(max)}`)
          .join(", ") +
        (pass.longTasks.length > 0
          ? `; long tasks while writing: ${tally(pass.longTaskBlocks.map((block) => block || "no write"))}`
          : ""),
    ),
    ...passes.map((pass) =>
      pass.beforeTasks.length > 0
        ? `  ${pass.name}, before the question (page load, not counted): ${pass.beforeTasks.length} long task(s), longest ${ms(longest(pass.beforeTasks))}`
        : `  ${pass.name}, before the question (page load): no long task`,
    ),
    ...passes.flatMap((pass) =>
      pass.problems.map((problem) => `  PROBLEM (${pass.name}): ${problem}`),
    ),
  ];

  const detail = (pass: Pass) =>
    `${pass.longTasks.length} long task(s)${pass.longTasks.length > 0 ? `, longest ${ms(longest(pass.longTasks))} ms` : ""} in the page; ` +
    `trace: ${pass.trace.long.length} task(s) > ${LONG_TASK_MS} ms, longest ${ms(pass.trace.longest)} ms; ` +
    `write p99 ${ms(pass.writeTimes.p99)} ms, max ${ms(pass.writeTimes.max)} ms`;
  const judged = passes[0];
  const slowed = passes[1];
  const checks: Check[] = [
    !judged
      ? notMeasured()
      : judged.problems.length > 0
        ? { label: LABEL, pass: undefined, detail: `not judged: ${judged.problems.join("; ")}` }
        : { label: LABEL, pass: judged.longTasks.length === 0, detail: detail(judged) },
  ];
  if (slowed) {
    checks.push({
      label: INFO_LABEL,
      pass: undefined,
      info: true,
      detail:
        slowed.problems.length > 0 ? `not measured: ${slowed.problems.join("; ")}` : detail(slowed),
    });
  }
  const problems = passes.flatMap((pass) => pass.problems.map((p) => `${pass.name}: ${p}`));
  return {
    text: lines.filter(Boolean).join("\n"),
    checks,
    ...(problems.length > 0
      ? { error: `the answer was not rendered as streamed: ${problems.join("; ")}` }
      : {}),
  };
}

/** "TABLE × 12, PRE × 4": how often each name occurs, most first. */
function tally(names: string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([name, times]) => `${name} × ${times}`)
    .join(", ");
}

/** The page must show the whole answer, as Markdown, for the figures to mean anything. */
function checkDom(dom: RenderedDom, answer: string, stream: StreamLog): string[] {
  const problems: string[] = [];
  if (stream.requests !== 1) problems.push(`the block asked ${stream.requests} times, not once`);
  if (stream.sent !== DELTAS) problems.push(`${stream.sent} of ${DELTAS} deltas were sent`);
  if (dom.tableRows !== TABLE_ROWS + 1)
    problems.push(`${dom.tableRows} table rows, not ${TABLE_ROWS + 1}`);
  if (dom.pres !== 2 || dom.codeLines.some((lines) => lines !== CODE_LINES))
    problems.push(`code blocks: ${dom.pres} of ${dom.codeLines.join(", ")} lines`);
  if (dom.highlighted === 0) problems.push("the code is not highlighted");
  const last = answer.slice(-40);
  if (!dom.text.includes(last)) problems.push("the answer's last words are not on the page");
  for (const error of dom.errors) problems.push(`page error: ${error}`);
  return problems;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}
