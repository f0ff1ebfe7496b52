import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  provisionWordPress,
  type RunningWordPress,
  startWordPress,
} from "../../../scripts/wordpress/index.ts";
import { fileSize, textFrom } from "../lib/files.ts";
import { childrenOf, cpuMsOf, freePort, memoryOf } from "../lib/proc.ts";
import { type JsonAnswer, requestJson } from "../lib/request.ts";
import { specMessage } from "../lib/spec.ts";
import { runGatewayCli } from "./sluice.ts";
import type { PreparedRequest, RunningTarget, TargetDefinition } from "./types.ts";

/** The gateway site WordPress signs as (registered on the running sluice target's gateway). */
const SITE_ID = "wp-bench";
const BLOCK_ID = "bench-chat";
const MODEL = "openai/gpt-4o-mini";
const CHAT_PATH = "/wp-json/sluice/v1/chat";
/** The trivial route of the bench's own must-use plugin (see MU_PLUGIN). */
export const PING_PATH = "/wp-json/sluice-bench/v1/ping";
export const INFO_PATH = "/wp-json/sluice-bench/v1/info";
/** php -S workers: the scripts' default (four workers hold five open streams). */
const WORKERS = 4;

/**
 * Written into the bench's own WordPress as wp-content/mu-plugins/: a trivial
 * REST route (POST, small JSON in and out) whose response time is WordPress's own
 * start-up plus REST dispatch, a one-off GET that says how PHP runs, and a
 * sluice_visitor_ip filter that makes each stream its own visitor (see prepare()).
 */
export const MU_PLUGIN = `<?php
/**
 * Plugin Name: Sluice bench routes
 * Description: Written by test/bench into its temporary site. POST /sluice-bench/v1/ping answers a small JSON and does nothing else; GET /sluice-bench/v1/info describes PHP.
 */

// The plugin counts visitors by IP address: the bench names each stream's visitor in a
// header, here an address of the benchmarking range 198.18.0.0/15.
add_filter(
	'sluice_visitor_ip',
	static function ( $ip ) {
		$visitor = isset( $_SERVER['HTTP_X_SLUICE_BENCH_VISITOR'] ) ? (int) $_SERVER['HTTP_X_SLUICE_BENCH_VISITOR'] : 0;
		return $visitor > 0 ? long2ip( ip2long( '198.18.0.0' ) + $visitor % 131072 ) : $ip;
	}
);

add_action(
	'rest_api_init',
	static function (): void {
		register_rest_route(
			'sluice-bench/v1',
			'/ping',
			array(
				'methods'             => 'POST',
				'permission_callback' => '__return_true',
				'callback'            => static fn(): array => array( 'ok' => true ),
			)
		);
		register_rest_route(
			'sluice-bench/v1',
			'/info',
			array(
				'methods'             => 'GET',
				'permission_callback' => '__return_true',
				'callback'            => static function (): array {
					$opcache = function_exists( 'opcache_get_status' ) ? opcache_get_status( false ) : false;
					return array(
						'php'       => PHP_VERSION,
						'sapi'      => PHP_SAPI,
						'wordpress' => get_bloginfo( 'version' ),
						'opcache'   => is_array( $opcache ) && ! empty( $opcache['opcache_enabled'] ),
						'jit'       => is_array( $opcache ) && ! empty( $opcache['jit']['on'] ),
						'curl'      => function_exists( 'curl_version' ) ? curl_version()['version'] : null,
					);
				},
			)
		);
	}
);
`;

export interface PhpInfo {
  php: string;
  sapi: string;
  wordpress: string;
  opcache: boolean;
  jit: boolean;
  curl: string | null;
}

/** The WordPress hop: a RunningTarget (the chat route's stream) plus what the php scenario needs. */
export interface WordPressTarget extends RunningTarget {
  name: "wp";
  /** The running sluice target: the gateway WordPress relays. */
  gateway: RunningTarget;
  /** One line: PHP, WordPress, opcache, workers. */
  describePhp(): string;
  /** CPU time used so far by the php -S server and its workers (ms). */
  phpCpuMs(): number | undefined;
  /** The highest VmHWM among the php -S processes (kB). */
  phpPeakRssKb(): number | undefined;
  /** The trivial route's request. */
  pingRequest(): PreparedRequest;
  /** New lines of WordPress's debug.log since the site was started. */
  debugLog(): string;
}

export function isWordPressTarget(target: RunningTarget | undefined): target is WordPressTarget {
  return target?.name === "wp" && "pingRequest" in target;
}

/**
 * The Sluice WordPress plugin's chat route (POST /wp-json/sluice/v1/chat) in a
 * WordPress of the bench's own (provisioned with scripts/wordpress into the run's
 * temp dir, served by php -S with 4 workers), relaying the sluice target's
 * gateway, so that "the hop" is WordPress + the plugin and nothing else. Each
 * stream is a new visitor (its own address, through the must-use plugin's
 * sluice_visitor_ip filter), so the plugin's rate limit (10 a minute, the default)
 * is exercised (one transient read and write) but never hit.
 */
export const wordpress: TargetDefinition = {
  name: "wp",
  description: `WordPress + the Sluice plugin (php -S, ${WORKERS} workers), POST ${CHAT_PATH}, relaying the sluice target's gateway`,
  async start(context) {
    const gateway = context.started.find((target) => target.name === "sluice");
    if (!gateway) {
      throw new Error("wp relays the sluice target's gateway: run it with the sluice target");
    }
    const secret = randomBytes(24).toString("hex");
    // The gateway reads a site's secret from SQLite on every request: no restart needed.
    await runGatewayCli(context, ["site", "add", SITE_ID, `--secret=${secret}`]);

    const dir = join(context.tempDir, "wp-site");
    const port = await freePort();
    const quiet = () => {};
    const site = await provisionWordPress({
      dir,
      port,
      gatewayUrl: `http://${gateway.host}:${gateway.port}`,
      siteId: SITE_ID,
      siteSecret: secret,
      requirePlugin: true,
      pageContent: `<!-- wp:sluice/chat ${JSON.stringify({ blockId: BLOCK_ID, model: MODEL })} /-->`,
      log: quiet,
    });
    writeFileSync(join(dir, "wp-content", "mu-plugins", "sluice-bench-routes.php"), MU_PLUGIN);
    const debugLogSize = fileSize(site.debugLog);
    const server: RunningWordPress = await startWordPress({
      dir,
      port,
      workers: WORKERS,
      log: quiet,
    });
    let info: JsonAnswer<PhpInfo>;
    try {
      info = await requestJson<PhpInfo>({ host: "127.0.0.1", port, path: INFO_PATH });
    } catch (error) {
      await server.stop();
      throw error;
    }
    const pids = () => [server.pid, ...childrenOf(server.pid)];

    let visitor = 0;
    const target: WordPressTarget = {
      name: "wp",
      host: "127.0.0.1",
      port,
      // No single process to watch: the php scenario reads the server and its workers itself.
      pid: undefined,
      format: "sluice",
      gateway,
      prepare(spec) {
        visitor += 1;
        return {
          path: CHAT_PATH,
          headers: {
            "Content-Type": "application/json",
            "User-Agent": `sluice-bench/${visitor}`,
            "X-Sluice-Bench-Visitor": String(visitor),
          },
          body: JSON.stringify({
            post_id: site.pageId,
            block_id: BLOCK_ID,
            messages: [{ role: "user", content: specMessage(spec) }],
            stream: true,
          }),
        };
      },
      pingRequest: () => ({
        path: PING_PATH,
        headers: { "Content-Type": "application/json", "User-Agent": "sluice-bench/ping" },
        body: '{"ping":1}',
      }),
      describePhp() {
        const php = info.body;
        return (
          `PHP ${php.php} (${php.sapi}, opcache ${php.opcache ? "on" : "off"}, JIT ${php.jit ? "on" : "off"}, ` +
          `curl ${php.curl ?? "?"}), WordPress ${php.wordpress}, ${WORKERS} workers`
        );
      },
      phpCpuMs() {
        let total = 0;
        for (const pid of pids()) {
          const cpu = cpuMsOf(pid);
          if (cpu === undefined) return undefined;
          total += cpu;
        }
        return total;
      },
      phpPeakRssKb() {
        const peaks = pids().map((pid) => memoryOf(pid)?.peakKb ?? 0);
        return Math.max(0, ...peaks) || undefined;
      },
      debugLog: () => textFrom(site.debugLog, debugLogSize),
      output() {
        const log = textFrom(server.serverLog, 0).trim().split("\n").slice(-20).join("\n");
        const debug = textFrom(site.debugLog, debugLogSize)
          .trim()
          .split("\n")
          .slice(-20)
          .join("\n");
        return [log, debug && `debug.log:\n${debug}`].filter(Boolean).join("\n");
      },
      stop: () => server.stop(),
    };
    return target;
  },
};
