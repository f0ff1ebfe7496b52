import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";

/** A child process the bench started, with the tail of its output kept for error reports. */
export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  /** The last few KB of stdout and stderr. */
  output(): string;
  /** Resolves with the first stdout line that matches (rejects if the process exits first). */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after a grace period; only this child's pid. */
  stop(graceMs?: number): Promise<void>;
  readonly exited: boolean;
}

const TAIL_BYTES = 8192;

export function spawnChild(
  name: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Child {
  const child = spawn(process.execPath, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${args.join(" ")}`);
  let tail = "";
  let exited = false;
  const lineWaiters = new Set<(line: string) => void>();
  let partial = "";
  const keep = (text: string) => {
    tail = (tail + text).slice(-TAIL_BYTES);
  };
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stdout?.on("data", (text: string) => {
    keep(text);
    if (lineWaiters.size === 0) return;
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) for (const waiter of lineWaiters) waiter(line);
  });
  child.stderr?.on("data", keep);
  const exit = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
  });

  return {
    name,
    pid: child.pid,
    process: child,
    output: () => tail,
    get exited() {
      return exited;
    },
    waitForLine(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const done = (error: Error | undefined, match?: RegExpMatchArray) => {
          clearTimeout(timer);
          lineWaiters.delete(onLine);
          child.off("exit", onExit);
          if (match) resolve(match);
          else reject(error);
        };
        const onLine = (line: string) => {
          const match = line.match(pattern);
          if (match) done(undefined, match);
        };
        const onExit = () => done(new Error(`${name} exited before it was ready:\n${tail}`));
        const timer = setTimeout(
          () => done(new Error(`${name} not ready after ${timeoutMs} ms:\n${tail}`)),
          timeoutMs,
        );
        lineWaiters.add(onLine);
        child.once("exit", onExit);
      });
    },
    async stop(graceMs = 5000) {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (!exited) child.kill("SIGKILL");
      }, graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Runs a node script to completion; rejects with its output on a non-zero exit. */
export function runNode(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (data: Buffer) => {
      output += data.toString();
    });
    child.stderr.on("data", (data: Buffer) => {
      output += data.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`node ${args.join(" ")} exited with ${code}:\n${output}`));
    });
  });
}

/** A free TCP port on 127.0.0.1 (closed again; a tiny race we accept on a bench machine). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls GET url until any HTTP answer arrives (the server is listening and serving). */
export async function waitForHttp(url: string, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exited)
      throw new Error(`${child.name} exited before it was ready:\n${child.output()}`);
    if (await answers(url)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms:\n${child.output()}`);
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { method: "GET", timeout: 1000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(true));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

/** Resident memory of a process, from /proc/<pid>/status (kB). */
export function memoryOf(pid: number): { rssKb: number; peakKb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return { rssKb: field(status, "VmRSS"), peakKb: field(status, "VmHWM") };
  } catch {
    return undefined;
  }
}

function field(status: string, name: string): number {
  const match = status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"));
  return match ? Number(match[1]) : 0;
}

/** Resets VmHWM to the current RSS (Linux clear_refs "5"); false where not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

const TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat. */
export function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces: the fields after it start past the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const user = Number(fields[11]);
    const system = Number(fields[12]);
    return ((user + system) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Child pids of a process, from /proc/<pid>/task/<pid>/children; [] when it is gone. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** The kernel's name of a process (/proc/<pid>/comm), or undefined when it is gone. */
export function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}
