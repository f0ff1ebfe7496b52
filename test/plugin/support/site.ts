import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CoreSuite } from "../../../scripts/wordpress/apt-sources.ts";
import { run } from "../../../scripts/wordpress/commands.ts";
import { provisionWordPress, startWordPress } from "../../../scripts/wordpress/index.ts";
import { requirePhp } from "./php.ts";

const fixtures = fileURLToPath(new URL("../fixtures/", import.meta.url));

/** Posts made by fixtures/seed.php, and application passwords ("login:password"). */
export interface SeededContent {
  nested: number;
  bad_model: number;
  draft: number;
  protected: number;
  not_chat: number;
  admin_auth: string;
  subscriber_auth: string;
}

export interface PluginSite {
  url: string;
  dir: string;
  /** The provisioned page, holding a Chat block with blockId "page-block-1". */
  pageId: number;
  content: SeededContent;
  /** PHP's warnings and notices (WP_DEBUG_LOG). */
  debugLog: string;
  /** The WordPress version the site runs, e.g. "7.1.3". */
  wordPressVersion: string;
  /** A REST call, authenticated as the admin or a subscriber when asked. */
  rest(route: string, init?: RestInit): Promise<Response>;
  /** Logs the admin in with the login form; returns the session's Cookie header. */
  logIn(): Promise<string>;
  /** Runs a PHP file of fixtures/ with WordPress loaded; returns its JSON output. */
  php<T>(script: string, ...args: string[]): Promise<T>;
  stop(): Promise<void>;
}

export interface RestInit {
  method?: string;
  body?: unknown;
  as?: "admin" | "subscriber";
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /**
   * The local address to connect from, e.g. "127.0.0.2": WordPress sees it as REMOTE_ADDR,
   * so each address is another visitor. The answer is read whole before it is returned.
   */
  from?: string;
}

/** A request over node:http from a chosen local address (fetch cannot choose one). */
function requestFrom(
  localAddress: string,
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      url,
      { method: init.method, headers: init.headers, localAddress },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
        incoming.on("error", reject);
        incoming.on("end", () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) {
            for (const one of Array.isArray(value) ? value : [value ?? ""]) {
              headers.append(name, one);
            }
          }
          resolve(
            new Response(Buffer.concat(chunks), { status: incoming.statusCode ?? 0, headers }),
          );
        });
      },
    );
    outgoing.on("error", reject);
    outgoing.end(init.body);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address !== "object") throw new Error("no free port");
  return address.port;
}

/**
 * A fresh WordPress in a temp folder with the repository's plugin/ installed and
 * active, configured (wp-config constants) for the given gateway, seeded with
 * test content and served by php -S. `coreSuite` picks the WordPress (default
 * trixie's 6.8; forky's is 7.1).
 */
export async function startPluginSite(
  gateway: {
    url: string;
    siteId: string;
    secret: string;
  },
  options: { coreSuite?: CoreSuite } = {},
): Promise<PluginSite> {
  await requirePhp();
  const dir = mkdtempSync(path.join(tmpdir(), "sluice-plugin-site-"));
  const port = await freePort();
  const quiet = () => {};
  const site = await provisionWordPress({
    dir,
    port,
    gatewayUrl: gateway.url,
    siteId: gateway.siteId,
    siteSecret: gateway.secret,
    requirePlugin: true,
    pageContent: '<!-- wp:sluice/chat {"blockId":"page-block-1"} /-->',
    ...(options.coreSuite ? { coreSuite: options.coreSuite } : {}),
    log: quiet,
  });
  const server = await startWordPress({ dir, port, workers: 6, log: quiet });

  const php = async <T>(script: string, ...args: string[]): Promise<T> => {
    const { stdout } = await run("php", [path.join(fixtures, script), dir, server.url, ...args]);
    return JSON.parse(stdout.trim().split("\n").at(-1) ?? "null") as T;
  };
  const content = await php<SeededContent>("seed.php");

  const rest = (route: string, init: RestInit = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.body !== undefined) headers["Content-Type"] = "application/json";
    if (init.as) {
      const auth = init.as === "admin" ? content.admin_auth : content.subscriber_auth;
      headers.Authorization = `Basic ${Buffer.from(auth).toString("base64")}`;
    }
    const method = init.method ?? (init.body === undefined ? "GET" : "POST");
    const url = `${server.url}/wp-json/sluice/v1${route}`;
    if (init.from) {
      return requestFrom(init.from, url, {
        method,
        headers,
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
    }
    return fetch(url, {
      method,
      headers,
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      ...(init.signal ? { signal: init.signal } : {}),
    });
  };

  const logIn = async (): Promise<string> => {
    const response = await fetch(`${server.url}/wp-login.php`, {
      method: "POST",
      redirect: "manual",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Cookie: "wordpress_test_cookie=WP%20Cookie%20check",
      },
      body: new URLSearchParams({
        log: site.adminUser,
        pwd: site.adminPassword,
        testcookie: "1",
        redirect_to: `${server.url}/wp-admin/`,
      }),
    });
    await response.arrayBuffer();
    const cookies = response.headers
      .getSetCookie()
      .map((cookie) => cookie.split(";")[0])
      .filter((cookie) => cookie?.startsWith("wordpress_"));
    if (response.status !== 302 || cookies.length === 0) {
      throw new Error(`logging in as ${site.adminUser} failed (HTTP ${response.status})`);
    }
    return cookies.join("; ");
  };

  return {
    url: server.url,
    dir,
    pageId: site.pageId,
    content,
    debugLog: site.debugLog,
    wordPressVersion: site.wordPressVersion,
    rest,
    logIn,
    php,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
