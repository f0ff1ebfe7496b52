import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../paths.ts";
import { portOpen, type RunningDaemon, startDaemon } from "./daemons.ts";
import type { StackLayout } from "./layout.ts";
import { runningAsRoot, type StackTools } from "./tools.ts";

export const phpFpmName = "php-fpm";

/** The tickets pool users install beside their site's pool; the stack runs this very file. */
export const shippedTicketsPool = path.join(repoRoot, "docs", "deploy", "php-fpm-tickets.conf");

export interface PhpFpmSettings {
  port: number;
  /** pm.max_children: how many requests PHP serves at once (an open chat holds one). */
  maxChildren: number;
}

/** Where the stack's tickets pool listens (nginx's sluice_php_tickets upstream). */
export function ticketsSocket(layout: StackLayout): string {
  return path.join(layout.runDir, "php-fpm-tickets.sock");
}

/**
 * docs/deploy/php-fpm-tickets.conf with its EDIT lines set for the stack: the user
 * (root when the stack runs as root; a php-fpm not run as root cannot switch users, so
 * the user lines go) and the socket. Every other line is the shipped one.
 */
export function renderTicketsPool(shipped: string, layout: StackLayout): string {
  const asRoot = runningAsRoot();
  const lines = shipped.split("\n").flatMap((line) => {
    const [name] = line.split("=").map((part) => part.trim());
    if (name === "user" || name === "group" || name === "listen.owner" || name === "listen.group") {
      return asRoot ? [line.replace("www-data", "root")] : [];
    }
    if (name === "listen") return [`listen = ${ticketsSocket(layout)}`];
    return [line];
  });
  const listens = lines.filter((line) => line.startsWith("listen = ")).length;
  if (listens !== 1 || !lines.includes("[sluice-tickets]")) {
    throw new Error(
      `${path.relative(repoRoot, shippedTicketsPool)} should hold the pool [sluice-tickets] with one \`listen\` line: update scripts/wordpress/production/php-fpm.ts with it`,
    );
  }
  return lines.join("\n");
}

/**
 * The pool settings that matter to Sluice, natively and in docker-compose.yml: a fixed
 * number of workers (pm = static, so "N workers" means N, as on a host that sets
 * pm.max_children = N), and no time limit on a request (a stream may last as long as
 * the gateway allows, SLUICE_STREAM_MAX_MS, 10 min by default).
 */
export function sluicePoolDirectives(maxChildren: number): Record<string, string> {
  return {
    pm: "static",
    "pm.max_children": String(maxChildren),
    request_terminate_timeout: "0",
  };
}

/**
 * A private php-fpm.conf: the site's pool on 127.0.0.1:port with Sluice's pool
 * settings, and the tickets pool as docs/deploy/php-fpm-tickets.conf ships it (on a
 * socket in the stack); pid and logs in the stack, one access log for both (`%n`
 * names the pool). PHP's own settings stay Debian's php.ini for FPM, as on a real host
 * (output_buffering = 4096 included).
 */
export function renderPhpFpmConf(layout: StackLayout, settings: PhpFpmSettings): string {
  const runAs = runningAsRoot() ? ["user = root", "group = root"] : [];
  const pool = Object.entries(sluicePoolDirectives(settings.maxChildren)).map(
    ([name, value]) => `${name} = ${value}`,
  );
  return `; Written by scripts/wordpress (production stack); rewritten on every start.
[global]
pid = ${path.join(layout.runDir, "php-fpm.pid")}
error_log = ${path.join(layout.logDir, "php-fpm.log")}
daemonize = no

[sluice]
listen = 127.0.0.1:${settings.port}
listen.allowed_clients = 127.0.0.1
${[...runAs, ...pool].join("\n")}
${stackPoolLines(layout)}

${renderTicketsPool(readFileSync(shippedTicketsPool, "utf8"), layout).trimEnd()}
; Added by the stack (not in the shipped file): its logs.
${stackPoolLines(layout)}
`;
}

/** What the stack adds to each pool: workers' output, and the access log both pools share. */
function stackPoolLines(layout: StackLayout): string {
  return `catch_workers_output = yes
decorate_workers_output = no
access.log = ${path.join(layout.logDir, "php-fpm-access.log")}
access.format = "%n %t %m %r %s %{mili}d ms"`;
}

export function startPhpFpm(
  tools: StackTools,
  layout: StackLayout,
  settings: PhpFpmSettings,
  tiedToThisProcess = false,
): Promise<RunningDaemon> {
  const confFile = path.join(layout.confDir, "php-fpm.conf");
  writeFileSync(confFile, renderPhpFpmConf(layout, settings));
  return startDaemon(layout.runDir, {
    name: phpFpmName,
    command: tools.phpFpm,
    // -F: foreground; -R: a pool of root is intended (only when run as root).
    args: ["-F", "-y", confFile, ...(runningAsRoot() ? ["-R"] : [])],
    logFile: path.join(layout.logDir, "php-fpm.out.log"),
    ready: () => portOpen(settings.port),
    tiedToThisProcess,
  });
}
