import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { type Logger, printLine, seconds } from "./log.ts";
import { defaultSiteDir, phpDir, privateDir } from "./paths.ts";
import { checkPhp } from "./php-check.ts";
import { readSiteState } from "./site-state.ts";
import { siteUrlVariable } from "./wp-config.ts";

export interface StartOptions {
  /** The provisioned site. Default: .cache/wp-site. */
  dir?: string;
  /** Port to listen on. Default: the port of the provisioned site URL. */
  port?: number;
  /** PHP_CLI_SERVER_WORKERS: N workers hold N+1 open streams at once. Default 4. */
  workers?: number;
  /** How long to wait for the first HTTP answer. Default 30 s. */
  timeoutMs?: number;
  log?: Logger;
}

export interface RunningWordPress {
  url: string;
  pid: number;
  /** Request log and PHP's start-up errors of the server. */
  serverLog: string;
  /** Kills the server's process group and waits until it is gone. */
  stop(): Promise<void>;
}

interface PidRecord {
  pid: number;
  url: string;
  workers: number;
  startedAt: string;
}

function pidFile(dir: string): string {
  return path.join(privateDir(dir), "server.json");
}

/**
 * php -S serving a site on 127.0.0.1:port through the router, with no output
 * buffering or compression of PHP's own (they would bunch a stream).
 */
export function phpServerArgs(dir: string, port: number): string[] {
  return [
    "-d",
    "output_buffering=0",
    "-d",
    "zlib.output_compression=0",
    "-S",
    `127.0.0.1:${port}`,
    "-t",
    dir,
    path.join(phpDir, "router.php"),
  ];
}

export function serverLogFile(dir: string): string {
  return path.join(privateDir(dir), "server.log");
}

/**
 * Serves a provisioned site with PHP's built-in server, detached in its own process
 * group, and resolves once it answers HTTP.
 */
export async function startWordPress(options: StartOptions = {}): Promise<RunningWordPress> {
  const log = options.log ?? printLine;
  const dir = path.resolve(options.dir ?? defaultSiteDir);
  const state = readSiteState(dir);
  if (!state || !existsSync(path.join(dir, "wp-config.php"))) {
    throw new Error(`No provisioned WordPress in ${dir}: run provision first`);
  }
  await checkPhp();
  const running = readRunning(dir);
  if (running) {
    throw new Error(
      `WordPress is already served from ${dir} at ${running.url} (pid ${running.pid})`,
    );
  }
  const siteUrl = new URL(state.siteUrl);
  const port = options.port ?? Number(siteUrl.port || 80);
  siteUrl.port = String(port);
  const url = siteUrl.origin;
  const probeUrl = `http://127.0.0.1:${port}`;
  const workers = options.workers ?? 4;
  const started = performance.now();
  if (await portInUse(port)) {
    throw new Error(
      `Port ${port} on 127.0.0.1 is already in use: stop what listens there or pass another port`,
    );
  }

  const logFile = serverLogFile(dir);
  const logFd = openSync(logFile, "w");
  const env: NodeJS.ProcessEnv = { ...process.env, PHP_CLI_SERVER_WORKERS: String(workers) };
  if (url === state.siteUrl) delete env[siteUrlVariable];
  else env[siteUrlVariable] = url;
  let child: ChildProcess;
  try {
    child = spawn("php", phpServerArgs(dir, port), {
      cwd: dir,
      env,
      detached: true,
      stdio: ["ignore", logFd, logFd],
    });
  } finally {
    closeSync(logFd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error("php could not be started");
  let exited: string | undefined;
  child.on("exit", (code, signal) => {
    exited = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  child.unref();

  const stop = () => stopProcessGroup(pid).then(() => forgetRunning(dir, pid));
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (true) {
    if (exited) {
      throw new Error(`php -S stopped with ${exited}:\n${tail(logFile)}`);
    }
    const status = await httpStatus(probeUrl);
    if (status !== undefined && status < 500) break;
    if (status !== undefined) {
      await stop();
      throw new Error(
        `WordPress answered ${url}/wp-login.php with HTTP ${status}:\n${tail(logFile)}`,
      );
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`WordPress did not answer at ${url} in time:\n${tail(logFile)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const record: PidRecord = { pid, url, workers, startedAt: new Date().toISOString() };
  writeFileSync(pidFile(dir), `${JSON.stringify(record)}\n`);
  log(
    `WordPress is up at ${url} in ${seconds(performance.now() - started)} (pid ${pid}, ${workers} workers)`,
  );
  return { url, pid, serverLog: logFile, stop };
}

/** Stops the server recorded for this site, if any. Returns whether one was running. */
export async function stopWordPress(dir = defaultSiteDir): Promise<boolean> {
  const running = readRunning(path.resolve(dir));
  if (!running) return false;
  await stopProcessGroup(running.pid);
  forgetRunning(path.resolve(dir), running.pid);
  return true;
}

/** The server recorded for this site, when it is still alive. */
export function readRunning(dir = defaultSiteDir): PidRecord | undefined {
  const file = pidFile(path.resolve(dir));
  if (!existsSync(file)) return undefined;
  const record = JSON.parse(readFileSync(file, "utf8")) as PidRecord;
  if (isPhpProcess(record.pid)) return record;
  rmSync(file, { force: true });
  return undefined;
}

function forgetRunning(dir: string, pid: number): void {
  const file = pidFile(dir);
  if (!existsSync(file)) return;
  const record = JSON.parse(readFileSync(file, "utf8")) as PidRecord;
  if (record.pid === pid) rmSync(file, { force: true });
}

/** Alive and still a php process (a recycled pid is not ours). */
function isPhpProcess(pid: number): boolean {
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return commandLine.split("\0")[0]?.endsWith("php") ?? false;
  } catch {
    return false;
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the whole group (the workers too), SIGKILL after 5 s. */
async function stopProcessGroup(pid: number): Promise<void> {
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  };
  signalGroup("SIGTERM");
  const deadline = Date.now() + 5000;
  while (groupAlive(pid)) {
    if (Date.now() > deadline) {
      signalGroup("SIGKILL");
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The HTTP status of the login page, or undefined while nothing answers. */
async function httpStatus(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(`${url}/wp-login.php`, {
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return undefined;
  }
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function tail(file: string): string {
  if (!existsSync(file)) return "(no server log)";
  return readFileSync(file, "utf8").trim().split("\n").slice(-20).join("\n");
}
