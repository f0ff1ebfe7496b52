import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../../scripts/wordpress/commands.ts";
import {
  provisionProductionStack,
  type RunningStack,
  startProductionStack,
} from "../../../scripts/wordpress/production/stack.ts";
import { findStackTools } from "../../../scripts/wordpress/production/tools.ts";
import { signedHeaders } from "../../../server/http/signature.ts";
import type { DirectSite } from "../lib/direct-chat.ts";
import { fileSize, textFrom } from "../lib/files.ts";
import { freePort } from "../lib/proc.ts";
import { requestJson } from "../lib/request.ts";
import { type StreamSpec, specMessage } from "../lib/spec.ts";
import { runGatewayCli } from "./sluice.ts";
import type { PreparedRequest, RunningTarget, TargetDefinition } from "./types.ts";
import { INFO_PATH, MU_PLUGIN, type PhpInfo } from "./wordpress.ts";

const SITE_ID = "wp-host";
const BLOCK_ID = "bench-chat";
const MODEL = "openai/gpt-4o-mini";
const CHAT_PATH = "/wp-json/sluice/v1/chat";
const TICKET_PATH = "/wp-json/sluice/v1/ticket";
const POLICY_PATH = "/v1/policy";
/**
 * PHP-FPM's workers: five in all, what many small hosts allow (the figure):
 * the site's pool gets four (pages, relay chats), the tickets pool of
 * docs/deploy/php-fpm-tickets.conf its one (direct mode's tickets).
 */
export const MAX_CHILDREN = 4;
export const TICKET_CHILDREN = 1;
/** Where docs/deploy/nginx.conf publishes the gateway on the site's own origin. */
const DIRECT_URL = "/sluice-gateway";
/** The plugin's highest rate limit (Settings::MAX_RATE_LIMIT), a minute per visitor. */
const RATE_LIMIT = 1000;

/**
 * Run with `php` once the stack is up: sets the rate limit as the settings screen
 * would (through the option's sanitize callback) and prints what the plugin then has
 * in force, as Settings → Sluice would show it.
 */
const SETUP_SCRIPT = `<?php
$sluice_url                 = parse_url( $argv[2] );
$_SERVER['HTTP_HOST']       = $sluice_url['host'] . ':' . $sluice_url['port'];
$_SERVER['SERVER_NAME']     = $sluice_url['host'];
$_SERVER['SERVER_PORT']     = (string) $sluice_url['port'];
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REQUEST_METHOD']  = 'GET';
$_SERVER['REQUEST_URI']     = '/';
require $argv[1] . '/wp-load.php';

$sluice_stored = get_option( \\Sluice\\Settings::OPTION, array() );
update_option(
	\\Sluice\\Settings::OPTION,
	array_merge( is_array( $sluice_stored ) ? $sluice_stored : array(), array( 'rate_limit_per_minute' => (int) $argv[3] ) )
);
$sluice_settings = new \\Sluice\\Settings();
$sluice_direct   = new \\Sluice\\Direct_Mode( $sluice_settings );
echo wp_json_encode(
	array(
		'transport'             => $sluice_direct->transport(),
		'direct_chat_url'       => $sluice_direct->chat_url(),
		'direct_from_constant'  => $sluice_settings->from_constant( 'direct_url' ),
		'site_origin'           => \\Sluice\\Site_Origin::current(),
		'rate_limit_per_minute' => $sluice_settings->rate_limit_per_minute(),
		'streaming_mode'        => $sluice_settings->streaming_mode(),
	)
), "\\n";
`;

interface SiteState {
  transport: string;
  direct_chat_url: string;
  direct_from_constant: boolean;
  site_origin: string;
  rate_limit_per_minute: number;
  streaming_mode: string;
}

/** The production stack as the host scenario drives it. */
export interface HostTarget extends RunningTarget, DirectSite {
  name: "host";
  /** The relay chat's request (prepare() is the same). */
  prepare(spec: StreamSpec): PreparedRequest;
  /** The home page, as a browser asks for it. */
  homeRequest(): PreparedRequest;
  /** The shell that runs php-fpm (its master and workers are below it). */
  phpFpmPid: number;
  phpFpmPort: number;
  /** php-fpm's access log (`%t %m %r %s %{mili}d ms`). */
  phpFpmAccessLog: string;
  /** One line each: PHP and WordPress; the plugin's settings in force. */
  describeStack(): string[];
  /** New lines of WordPress's debug.log since the stack started. */
  debugLog(): string;
}

export function isHostTarget(target: RunningTarget | undefined): target is HostTarget {
  return target?.name === "host" && "ticketRequest" in target;
}

/**
 * The production stack of scripts/wordpress/production (WordPress 7.1 from Debian
 * forky on MariaDB, PHP-FPM with pm.max_children = 5, served by docs/deploy/nginx.conf),
 * in the run's temp dir on free ports, in front of the sluice target's gateway (site
 * wp-host, whose origins list the site's). Direct mode is switched on as a deploy
 * would: SLUICE_DIRECT_URL = /sluice-gateway in wp-config.php. Every chat is a new
 * visitor (the bench's sluice_visitor_ip filter) and the rate limit is the plugin's
 * highest, 1000 a minute.
 */
export const host: TargetDefinition = {
  name: "host",
  description: `WordPress 7.1 on PHP-FPM (site pool pm.max_children = ${MAX_CHILDREN}, tickets pool ${TICKET_CHILDREN}) + MariaDB behind docs/deploy/nginx.conf, the sluice target's gateway at ${DIRECT_URL}/; relay POST ${CHAT_PATH}, direct POST ${TICKET_PATH} then the gateway`,
  async start(context) {
    const gateway = context.started.find((target) => target.name === "sluice");
    if (!gateway) {
      throw new Error("host is in front of the sluice target's gateway: run it with sluice");
    }
    // Before anything else: without nginx, php-fpm or MariaDB this names the install script.
    await findStackTools();
    const secret = randomBytes(24).toString("hex");
    await runGatewayCli(context, ["site", "add", SITE_ID, `--secret=${secret}`]);

    const dir = join(context.tempDir, "wp-host");
    const port = await freePort();
    const phpFpmPort = await freePort();
    const site = await provisionProductionStack({
      dir,
      port,
      phpFpmPort,
      mariadbPort: await freePort(),
      maxChildren: MAX_CHILDREN,
      gatewayUrl: `http://${gateway.host}:${gateway.port}`,
      siteId: SITE_ID,
      siteSecret: secret,
      requirePlugin: true,
      pageContent: `<!-- wp:sluice/chat ${JSON.stringify({ blockId: BLOCK_ID, model: MODEL })} /-->`,
      log: () => {},
    });
    const siteDir = site.dir;
    writeFileSync(join(siteDir, "wp-content", "mu-plugins", "sluice-bench-routes.php"), MU_PLUGIN);
    addDirectUrl(join(siteDir, "wp-config.php"));
    const stack: RunningStack = await startProductionStack({
      dir,
      log: () => {},
      tiedToThisProcess: true,
    });
    try {
      const setupFile = join(context.tempDir, "host-setup.php");
      writeFileSync(setupFile, SETUP_SCRIPT);
      const { stdout } = await run("php", [setupFile, siteDir, stack.url, String(RATE_LIMIT)]);
      const state = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as SiteState;
      if (state.transport !== "direct") {
        throw new Error(`direct mode is not in force on the site: ${stdout.trim()}`);
      }
      await runGatewayCli(context, ["site", "set-origins", SITE_ID, state.site_origin]);
      const info = await requestJson<PhpInfo>({ host: "127.0.0.1", port, path: INFO_PATH });
      const policy = await requestJson<{ effective: Record<string, unknown> }>({
        host: gateway.host,
        port: gateway.port,
        path: POLICY_PATH,
        headers: signedHeaders({
          siteId: SITE_ID,
          secret,
          method: "GET",
          path: POLICY_PATH,
          body: "",
        }),
      });
      const phpFpm = stack.daemons.find((daemon) => daemon.name === "php-fpm");
      if (!phpFpm) throw new Error("the stack runs no php-fpm");
      const caps = describeCaps(policy.body.effective);
      return hostTarget({
        stack,
        port,
        phpFpmPort,
        phpFpmPid: phpFpm.pid,
        site,
        state,
        info,
        caps,
      });
    } catch (error) {
      await stack.stop();
      throw error;
    }
  },
};

function hostTarget(parts: {
  stack: RunningStack;
  port: number;
  phpFpmPort: number;
  phpFpmPid: number;
  site: { pageId: number; debugLog: string; wordPressVersion: string };
  state: SiteState;
  info: { body: PhpInfo };
  /** The gateway's caps in force for the site, in words. */
  caps: string;
}): HostTarget {
  const { stack, port, site, state } = parts;
  const debugLogStart = fileSize(site.debugLog);
  let visitor = 0;
  const browserHeaders = (accept: string) => {
    visitor += 1;
    return {
      "Content-Type": "application/json",
      Accept: accept,
      Origin: state.site_origin,
      "User-Agent": `sluice-bench/${visitor}`,
      "X-Sluice-Bench-Visitor": String(visitor),
    };
  };
  const chatBody = (spec: StreamSpec) =>
    JSON.stringify({
      post_id: site.pageId,
      block_id: BLOCK_ID,
      messages: [{ role: "user", content: specMessage(spec) }],
      stream: true,
    });
  const logs = stack.layout.logDir;
  return {
    name: "host",
    host: "127.0.0.1",
    port,
    pid: undefined,
    format: "sluice",
    origin: state.site_origin,
    phpFpmPid: parts.phpFpmPid,
    phpFpmPort: parts.phpFpmPort,
    phpFpmAccessLog: join(logs, "php-fpm-access.log"),
    prepare: (spec) => ({
      path: CHAT_PATH,
      headers: browserHeaders("text/event-stream"),
      body: chatBody(spec),
    }),
    ticketRequest: (spec) => ({
      path: TICKET_PATH,
      headers: browserHeaders("application/json"),
      body: chatBody(spec),
    }),
    homeRequest: () => ({
      path: "/",
      headers: { Accept: "text/html", "User-Agent": "sluice-bench/home" },
      body: "",
    }),
    describeStack() {
      const php = parts.info.body;
      return [
        `PHP ${php.php} (${php.sapi}, opcache ${php.opcache ? "on" : "off"}, JIT ${php.jit ? "on" : "off"}, curl ${php.curl ?? "?"}), ` +
          `WordPress ${php.wordpress}, PHP-FPM pm = static: site pool pm.max_children = ${stack.settings.maxChildren}, tickets pool ${TICKET_CHILDREN} (docs/deploy/php-fpm-tickets.conf), MariaDB, nginx serving docs/deploy/nginx.conf`,
        `plugin: transport ${state.transport} (SLUICE_DIRECT_URL ${DIRECT_URL}${state.direct_from_constant ? " in wp-config.php" : ""}, ` +
          `chat URL ${state.direct_chat_url}), streaming mode ${state.streaming_mode}, rate limit ${state.rate_limit_per_minute}/min per visitor, ` +
          `a new visitor per chat; gateway site ${SITE_ID}: origins ${state.site_origin}, ${parts.caps}`,
      ];
    },
    debugLog: () => textFrom(site.debugLog, debugLogStart),
    output() {
      const tails = ["php-fpm.log", `nginx-${port}-error.log`].map((file) =>
        textFrom(join(logs, file), 0).trim().split("\n").slice(-10).join("\n"),
      );
      const debug = textFrom(site.debugLog, debugLogStart).trim().split("\n").slice(-10).join("\n");
      return [...tails, debug && `debug.log:\n${debug}`].filter(Boolean).join("\n");
    },
    stop: () => stack.stop(),
  };
}

/** The caps of GET /v1/policy's effective policy, e.g. "caps in force: none". */
function describeCaps(effective: Record<string, unknown>): string {
  const caps = ["day_usd", "month_usd", "visitor_day_usd", "request_usd"]
    .filter((name) => effective[name] !== null && effective[name] !== undefined)
    .map((name) => `${name} ${String(effective[name])}`);
  const models = Array.isArray(effective.models) ? `, models ${effective.models.join(" ")}` : "";
  return `caps in force (GET /v1/policy): ${caps.length > 0 ? caps.join(", ") : "none"}${models}`;
}

/**
 * SLUICE_DIRECT_URL in wp-config.php, before WordPress loads: what a deploy that
 * publishes the gateway at /sluice-gateway/ writes (docs/deploy).
 */
function addDirectUrl(wpConfig: string): void {
  const text = readFileSync(wpConfig, "utf8");
  const anchor = "if ( ! defined( 'ABSPATH' ) ) {";
  if (!text.includes(anchor)) throw new Error(`${wpConfig}: no ABSPATH block to write before`);
  writeFileSync(
    wpConfig,
    text.replace(anchor, `define( 'SLUICE_DIRECT_URL', '${DIRECT_URL}' );\n\n${anchor}`),
  );
}
