import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import path from "node:path";

/** How to run one daemon of the stack in the foreground, in its own process group. */
export interface DaemonSpec {
  /** Names its record in the run dir, e.g. "mariadb", "php-fpm", "nginx-8891". */
  name: string;
  command: string;
  args: string[];
  /** Its stdout and stderr. */
  logFile: string;
  /** Resolves true once it serves. */
  ready: () => Promise<boolean>;
  /** How long start-up may take. Default 30 s. */
  startTimeoutMs?: number;
  /** How long a clean shutdown may take before SIGKILL. Default 10 s. */
  stopTimeoutMs?: number;
  /**
   * Stop the daemon when this process ends, however it ends (tests: a killed test
   * run leaves nothing behind). Default false: it outlives this process (`cli.ts start`).
   */
  tiedToThisProcess?: boolean;
}

/**
 * Runs the daemon under a shell that holds a pipe from this process: when the pipe
 * closes (this process ended), a reader in the shell stops the daemon. The shell ends
 * with the daemon, so an early exit is seen as without it. A SIGTERM to the shell's
 * process group reaches the daemon through the trap too (php-fpm leaves the group).
 */
const tiedShell = [
  "exec 3<&0",
  '"$@" </dev/null 3<&- & daemon=$!',
  `trap 'kill -TERM "$daemon" 2>/dev/null' TERM INT HUP`,
  '{ read -r _ <&3; kill -TERM "$daemon" 2>/dev/null; } & reader=$!',
  "exec 3<&-",
  'wait "$daemon"; status=$?',
  'while kill -0 "$daemon" 2>/dev/null; do wait "$daemon"; status=$?; done',
  'kill "$reader" 2>/dev/null',
  'exit "$status"',
].join("\n");

interface DaemonRecord {
  name: string;
  pid: number;
  command: string;
  startedAt: string;
}

export interface RunningDaemon {
  name: string;
  pid: number;
  stop(): Promise<void>;
}

function recordFile(runDir: string, name: string): string {
  return path.join(runDir, `${name}.json`);
}

/** Starts the daemon detached (it outlives this process) and resolves once it is ready. */
export async function startDaemon(runDir: string, spec: DaemonSpec): Promise<RunningDaemon> {
  const running = readDaemon(runDir, spec.name);
  if (running) {
    throw new Error(`${spec.name} already runs (pid ${running.pid}); stop the stack first`);
  }
  const logFd = openSync(spec.logFile, "a");
  let pid: number | undefined;
  let exited: string | undefined;
  const tied = spec.tiedToThisProcess ?? false;
  const command = tied ? "/bin/sh" : spec.command;
  const args = tied ? ["-c", tiedShell, "sluice-daemon", spec.command, ...spec.args] : spec.args;
  try {
    const child = spawn(command, args, {
      detached: true,
      stdio: [tied ? "pipe" : "ignore", logFd, logFd],
    });
    // The pipe stays open while this process lives, without keeping it alive.
    (child.stdin as Socket | null)?.unref();
    child.on("exit", (code, signal) => {
      exited = signal ? `signal ${signal}` : `exit code ${code}`;
    });
    child.on("error", (error) => {
      exited = error.message;
    });
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(logFd);
  }
  if (pid === undefined) throw new Error(`${spec.command} could not be started`);
  const record: DaemonRecord = {
    name: spec.name,
    pid,
    command,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(recordFile(runDir, spec.name), `${JSON.stringify(record)}\n`);
  const daemon: RunningDaemon = {
    name: spec.name,
    pid,
    stop: () => stopRecorded(runDir, record, spec.stopTimeoutMs ?? 10_000),
  };
  const deadline = Date.now() + (spec.startTimeoutMs ?? 30_000);
  for (;;) {
    if (exited) {
      rmSync(recordFile(runDir, spec.name), { force: true });
      throw new Error(`${spec.name} stopped with ${exited}:\n${tail(spec.logFile)}`);
    }
    if (await spec.ready().catch(() => false)) return daemon;
    if (Date.now() > deadline) {
      await daemon.stop();
      throw new Error(`${spec.name} was not ready in time:\n${tail(spec.logFile)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The daemon recorded under this name, when it still runs. */
export function readDaemon(runDir: string, name: string): DaemonRecord | undefined {
  const file = recordFile(runDir, name);
  if (!existsSync(file)) return undefined;
  const record = JSON.parse(readFileSync(file, "utf8")) as DaemonRecord;
  if (isAlive(record)) return record;
  rmSync(file, { force: true });
  return undefined;
}

/** Stops the daemon recorded under this name. Returns whether one was running. */
export async function stopDaemon(
  runDir: string,
  name: string,
  timeoutMs = 10_000,
): Promise<boolean> {
  const record = readDaemon(runDir, name);
  if (!record) return false;
  await stopRecorded(runDir, record, timeoutMs);
  return true;
}

/**
 * Alive and still running the recorded program (a recycled pid is not ours). The
 * kernel's comm, not cmdline: nginx and php-fpm rewrite their titles.
 */
function isAlive(record: DaemonRecord): boolean {
  try {
    const comm = readFileSync(`/proc/${record.pid}/comm`, "utf8").trim();
    return comm === path.basename(record.command).slice(0, 15);
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

/** SIGTERM to the daemon's process group (its workers too), SIGKILL after the timeout. */
async function stopRecorded(
  runDir: string,
  record: DaemonRecord,
  timeoutMs: number,
): Promise<void> {
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-record.pid, signal);
    } catch {
      // Already gone.
    }
  };
  if (isAlive(record)) signalGroup("SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(record.pid)) {
    if (Date.now() > deadline) {
      signalGroup("SIGKILL");
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const file = recordFile(runDir, record.name);
  if (existsSync(file)) {
    const current = JSON.parse(readFileSync(file, "utf8")) as DaemonRecord;
    if (current.pid === record.pid) rmSync(file, { force: true });
  }
}

/** True once something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return "(no log)";
  return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
}
