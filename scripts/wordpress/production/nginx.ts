import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../paths.ts";
import { portOpen, type RunningDaemon, startDaemon } from "./daemons.ts";
import type { StackLayout } from "./layout.ts";
import { runningAsRoot, type StackTools } from "./tools.ts";

/** The server configuration users install; the stack serves this very file. */
export const shippedNginxConf = path.join(repoRoot, "docs", "deploy", "nginx.conf");

/**
 * What the stack's nginx serves: the shipped file, or the shipped file broken the
 * way real hosts break SSE (to show what the plugin's stream probe then reports).
 */
export type NginxVariant = "shipped" | "fastcgi-buffered" | "gzip";

export const nginxVariantNames: NginxVariant[] = ["shipped", "fastcgi-buffered", "gzip"];

/** One directive line of the shipped file (compared trimmed) and what it becomes. */
interface LineEdit {
  line: string;
  /** What the line becomes; one value per time it is there, or one for every time. */
  becomes: string | string[];
  /** How many times the line must be there. */
  times: number;
}

interface VariantChange {
  description: string;
  /** Edits of the shipped server block. */
  edits: LineEdit[];
  /** Directives added to the http block, before the server block is included. */
  httpDirectives: string[];
}

export const nginxVariants: Record<NginxVariant, VariantChange> = {
  shipped: { description: "docs/deploy/nginx.conf as shipped", edits: [], httpDirectives: [] },
  "fastcgi-buffered": {
    description:
      "a host that buffers FastCGI answers and ignores the plugin's X-Accel-Buffering: no",
    edits: [{ line: "fastcgi_buffering off;", becomes: "fastcgi_buffering on;", times: 1 }],
    httpDirectives: ["fastcgi_ignore_headers X-Accel-Buffering;"],
  },
  gzip: {
    description: "a host that gzips everything, text/event-stream included",
    edits: [{ line: "gzip off;", becomes: "gzip on;", times: 2 }],
    httpDirectives: ["gzip on;", "gzip_types text/event-stream;", "gzip_min_length 1;"],
  },
};

/** The values of the shipped file's EDIT lines for one deployment of it. */
export interface NginxSiteSettings {
  /** What `listen` takes: "127.0.0.1:8891", "80". */
  listen: string;
  /** The WordPress folder. */
  root: string;
  /** host:port (or unix:/path) of PHP-FPM. */
  phpFpm: string;
  /** host:port of PHP-FPM's pool for tickets, when it has one of its own. Default: phpFpm. */
  phpFpmTickets?: string;
  /** host:port of the gateway. */
  gateway: string;
}

/**
 * The EDIT lines the stack sets, as shipped, each with what it becomes. A line that is
 * there more than once (PHP-FPM's, in both upstreams) becomes each value in turn.
 */
export function siteLineEdits(settings: NginxSiteSettings): Record<string, string[]> {
  return {
    "server unix:/run/php/php8.2-fpm.sock;": [
      `server ${settings.phpFpm};`,
      `server ${settings.phpFpmTickets ?? settings.phpFpm};`,
    ],
    "server 127.0.0.1:8787;": [`server ${settings.gateway};`],
    "listen 80;": [`listen ${settings.listen};`],
    "root /var/www/wordpress;": [`root ${settings.root};`],
  };
}

/**
 * The shipped file with its EDIT lines set for this stack: the PHP-FPM and gateway
 * addresses, the port and the document root (server_name stays: the block is the only
 * one on its port). Every other line is the shipped one, byte for byte, unless a
 * variant changes it. Fails when a line it expects is not in the file.
 */
export function renderSiteConf(
  shipped: string,
  settings: NginxSiteSettings,
  variant: NginxVariant = "shipped",
): string {
  const edits: LineEdit[] = [
    ...Object.entries(siteLineEdits(settings)).map(([line, becomes]) => ({
      line,
      becomes,
      times: becomes.length,
    })),
    ...nginxVariants[variant].edits,
  ];
  const lines = shipped.split("\n");
  for (const edit of edits) {
    const found = lines.filter((line) => line.trim() === edit.line).length;
    if (found !== edit.times) {
      throw new Error(
        `${path.relative(repoRoot, shippedNginxConf)} should have the line \`${edit.line}\` ${edit.times} time(s), not ${found}: update scripts/wordpress/production/nginx.ts with it`,
      );
    }
  }
  const seen = new Map<string, number>();
  return lines
    .map((line) => {
      const edit = edits.find((candidate) => candidate.line === line.trim());
      if (!edit) return line;
      const time = seen.get(edit.line) ?? 0;
      seen.set(edit.line, time + 1);
      const becomes = Array.isArray(edit.becomes) ? (edit.becomes[time] ?? "") : edit.becomes;
      return line.replace(edit.line, becomes);
    })
    .join("\n");
}

export interface NginxInstance {
  /** Names the instance's files and record: "nginx-PORT". */
  name: string;
  port: number;
  variant: NginxVariant;
  siteConf: string;
  mainConf: string;
  errorLog: string;
  accessLog: string;
}

export function nginxInstance(
  layout: StackLayout,
  port: number,
  variant: NginxVariant,
): NginxInstance {
  const name = `nginx-${port}`;
  return {
    name,
    port,
    variant,
    siteConf: path.join(layout.confDir, `sluice-${port}.conf`),
    mainConf: path.join(layout.confDir, `${name}.conf`),
    errorLog: path.join(layout.logDir, `${name}-error.log`),
    accessLog: path.join(layout.logDir, `${name}-access.log`),
  };
}

/** The stack's own nginx.conf: everything private to the stack, then the site file. */
export function renderMainConf(layout: StackLayout, instance: NginxInstance): string {
  const temp = path.join(layout.runDir, instance.name);
  const change = nginxVariants[instance.variant];
  return `# Written by scripts/wordpress (production stack); rewritten on every start.
# Serves ${path.basename(instance.siteConf)}: ${change.description}.
${runningAsRoot() ? "user root;\n" : ""}worker_processes 1;
daemon off;
pid ${path.join(layout.runDir, `${instance.name}.pid`)};
error_log ${instance.errorLog} warn;

events {
    worker_connections 1024;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log ${instance.accessLog};
    client_body_temp_path ${temp}/client_body;
    proxy_temp_path ${temp}/proxy;
    fastcgi_temp_path ${temp}/fastcgi;
    uwsgi_temp_path ${temp}/uwsgi;
    scgi_temp_path ${temp}/scgi;
${change.httpDirectives.map((directive) => `    ${directive}`).join("\n")}
    include ${instance.siteConf};
}
`;
}

/** Debian's fastcgi_params, which the shipped file includes by a relative name. */
const systemFastcgiParams = "/etc/nginx/fastcgi_params";

/**
 * The stack's fastcgi_params: the system's, except that HTTP_HOST keeps the port.
 * Debian's (since 1.22.1-9+deb12u6, bug #1126960) passes `HTTP_HOST $host`, without the port;
 * a site on port 80 or 443 never notices, but the stack serves WordPress on another
 * port, and WordPress would then redirect every page to itself.
 */
export function renderFastcgiParams(system: string): string {
  return system.replace(
    /^(\s*fastcgi_param\s+HTTP_HOST\s+)\$host;/m,
    "# scripts/wordpress: the port kept (the stack is not on port 80).\n$1$host:$server_port;",
  );
}

/** Writes the instance's files and serves it; resolves once the port accepts. */
export function startNginx(
  tools: StackTools,
  layout: StackLayout,
  instance: NginxInstance,
  site: NginxSiteSettings,
  tiedToThisProcess = false,
): Promise<RunningDaemon> {
  if (!existsSync(systemFastcgiParams)) {
    throw new Error(
      `${systemFastcgiParams} is missing: run \`bash scripts/install-system-deps.sh\` as root (installs nginx)`,
    );
  }
  writeFileSync(
    path.join(layout.confDir, "fastcgi_params"),
    renderFastcgiParams(readFileSync(systemFastcgiParams, "utf8")),
  );
  mkdirSync(path.join(layout.runDir, instance.name), { recursive: true });
  const shipped = readFileSync(shippedNginxConf, "utf8");
  writeFileSync(instance.siteConf, renderSiteConf(shipped, site, instance.variant));
  writeFileSync(instance.mainConf, renderMainConf(layout, instance));
  return startDaemon(layout.runDir, {
    name: instance.name,
    command: tools.nginx,
    // -e: where errors go before the config is read (not /var/log/nginx).
    args: ["-p", `${layout.root}/`, "-c", instance.mainConf, "-e", instance.errorLog],
    logFile: path.join(layout.logDir, `${instance.name}.out.log`),
    ready: () => portOpen(instance.port),
    tiedToThisProcess,
  });
}
