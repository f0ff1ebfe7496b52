import { writeFileSync } from "node:fs";
import path from "node:path";
import { portOpen, type RunningDaemon, startDaemon } from "./daemons.ts";
import type { StackLayout } from "./layout.ts";
import { runningAsRoot, type StackTools } from "./tools.ts";

export const phpFpmName = "php-fpm";

export interface PhpFpmSettings {
  port: number;
  /** pm.max_children: how many requests PHP serves at once (an open chat holds one). */
  maxChildren: number;
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
 * A private php-fpm.conf: one pool on 127.0.0.1:port with Sluice's pool settings, its
 * pid and logs in the stack. PHP's own settings stay Debian's php.ini for FPM, as on a
 * real host (output_buffering = 4096 included).
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
catch_workers_output = yes
decorate_workers_output = no
access.log = ${path.join(layout.logDir, "php-fpm-access.log")}
access.format = "%t %m %r %s %{mili}d ms"
`;
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
