import { readFileSync } from "node:fs";
import { childrenOf, commOf } from "./proc.ts";

/**
 * What PHP-FPM is doing, read from /proc (the stack's pool has no status page):
 *
 * - a worker is **busy** unless it is blocked in accept(2) on the pool's socket,
 *   which is where an idle php-fpm worker waits (its /proc/<pid>/syscall names the
 *   accept or accept4 system call; /proc/<pid>/wchan says inet_csk_accept);
 * - **queued** is the accept queue of the pool's listening socket: connections nginx
 *   made that no worker took yet (the rx_queue of a LISTEN socket in /proc/net/tcp).
 */
export interface FpmSample {
  /** performance.now() of the reading. */
  at: number;
  busy: number;
  workers: number;
  queued: number;
}

/** accept and accept4 by architecture (the numbers of asm/unistd.h). */
const ACCEPT_SYSCALLS: Record<string, number[]> = {
  x64: [43, 288],
  arm64: [202, 242],
};

/** A php-fpm worker's pool, from its title ("php-fpm: pool sluice"). */
export function poolOf(pid: number): string | undefined {
  try {
    const title = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
    return /^php-fpm: pool (\S+)/.exec(title)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * A pool's workers: the php-fpm processes whose parent is a php-fpm process (the
 * master) and whose title names the pool.
 */
export function fpmWorkers(daemonPid: number, pool: string): number[] {
  const workers: number[] = [];
  const walk = (pid: number, parentIsFpm: boolean) => {
    const isFpm = commOf(pid)?.startsWith("php-fpm") ?? false;
    if (isFpm && parentIsFpm && poolOf(pid) === pool) workers.push(pid);
    for (const child of childrenOf(pid)) walk(child, isFpm);
  };
  walk(daemonPid, false);
  return workers;
}

/** Whether a worker waits in accept(2) for the next request; undefined when it cannot be read. */
export function waitsInAccept(pid: number): boolean | undefined {
  try {
    const call = readFileSync(`/proc/${pid}/syscall`, "utf8").split(" ")[0] ?? "";
    const accepts = ACCEPT_SYSCALLS[process.arch];
    if (accepts && /^\d+$/.test(call)) return accepts.includes(Number(call));
    if (call.trim() === "running") return false;
    return readFileSync(`/proc/${pid}/wchan`, "utf8").trim() === "inet_csk_accept";
  } catch {
    return undefined;
  }
}

/** Connections waiting in the accept queue of the socket listening on 127.0.0.1:port. */
export function acceptQueue(port: number): number | undefined {
  try {
    const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
    for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl, local_address, rem_address, st (0A = LISTEN), tx_queue:rx_queue, …
      if (fields[1] === local && fields[3] === "0A") {
        return Number.parseInt(fields[4]?.split(":")[1] ?? "", 16);
      }
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/** Reads the pool every `everyMs` until stopped. */
export function fpmSampler(daemonPid: number, listenPort: number, everyMs: number) {
  // The site's pool (pages, relay chats); the tickets pool's worker is apart.
  const workers = fpmWorkers(daemonPid, "sluice");
  const samples: FpmSample[] = [];
  let timer: NodeJS.Timeout | undefined;
  const read = () => {
    let busy = 0;
    for (const pid of workers) if (waitsInAccept(pid) === false) busy += 1;
    samples.push({
      at: performance.now(),
      busy,
      workers: workers.length,
      queued: acceptQueue(listenPort) ?? 0,
    });
  };
  return {
    workers,
    start(): void {
      samples.length = 0;
      read();
      timer = setInterval(read, everyMs);
    },
    stop(): FpmSample[] {
      if (timer) clearInterval(timer);
      timer = undefined;
      read();
      return [...samples];
    },
  };
}

/** One line of the pool's access log: `%t %m %r %s %{mili}d ms`. */
export interface FpmRequest {
  method: string;
  uri: string;
  status: number;
  ms: number;
}

const ACCESS_LINE = /\s([A-Z]+) (\S+) (\d{3}) (\d+(?:\.\d+)?) ms$/;

/** The access log's lines from byte `from` on, and where it ends now. */
export function readAccessLog(file: string, from: number): { requests: FpmRequest[]; end: number } {
  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch {
    return { requests: [], end: from };
  }
  const requests: FpmRequest[] = [];
  for (const line of text.subarray(from).toString("utf8").split("\n")) {
    const match = ACCESS_LINE.exec(line);
    if (!match) continue;
    requests.push({
      method: match[1] as string,
      uri: match[2] as string,
      status: Number(match[3]),
      ms: Number(match[4]),
    });
  }
  return { requests, end: text.length };
}
