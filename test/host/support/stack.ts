import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../../../scripts/wordpress/commands.ts";
import { type ApacheVariant, findApache } from "../../../scripts/wordpress/production/apache.ts";
import type { NginxVariant } from "../../../scripts/wordpress/production/nginx.ts";
import {
  provisionProductionStack,
  type RunningStack,
  startProductionStack,
} from "../../../scripts/wordpress/production/stack.ts";
import { findStackTools } from "../../../scripts/wordpress/production/tools.ts";

const fixtures = fileURLToPath(new URL("../fixtures/", import.meta.url));

/** The production stack of a test file, with one web server per variant in front of it. */
export interface HostStack<Variant extends string = NginxVariant> {
  running: RunningStack;
  /** The stack's folder (a temp dir). */
  dir: string;
  siteDir: string;
  /** The provisioned page, holding a Chat block with blockId "page-block-1". */
  pageId: number;
  /** Each variant's origin; "shipped" is the site's own (its URL in WordPress). */
  urls: Record<Variant, string>;
  /** "login:application-password" of the admin. */
  adminAuth: string;
  /** The admin's login and password, for wp-login.php. */
  admin: { user: string; password: string };
  /** How long provisioning and starting took, in ms. */
  timings: { provisionMs: number; startMs: number };
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address !== "object") throw new Error("no free port");
  return address.port;
}

interface TestGatewayAddress {
  url: string;
  siteId: string;
  secret: string;
}

/**
 * WordPress 7.1 on MariaDB and PHP-FPM behind the shipped nginx config, in a temp
 * folder, for this gateway; plus the same site behind each broken nginx variant.
 * Without nginx, php-fpm or MariaDB it fails naming scripts/install-system-deps.sh.
 */
export function startHostStack(
  gateway: TestGatewayAddress,
  options: { maxChildren?: number } = {},
): Promise<HostStack<NginxVariant>> {
  return startStack(gateway, options.maxChildren, "nginx", async (running) => ({
    shipped: running.url,
    "fastcgi-buffered": (await running.addNginx(await freePort(), "fastcgi-buffered")).url,
    gzip: (await running.addNginx(await freePort(), "gzip")).url,
  }));
}

/**
 * The same stack served by Apache with docs/deploy/apache.conf as shipped (the site's
 * URL is Apache's), plus an Apache without flushpackets=on on the stream routes.
 * Without apache2 it fails naming scripts/install-system-deps.sh.
 */
export function startApacheHostStack(
  gateway: TestGatewayAddress,
): Promise<HostStack<ApacheVariant>> {
  findApache();
  return startStack(gateway, 6, "apache", async (running) => ({
    shipped: running.url,
    "no-flushpackets": (await running.addApache(await freePort(), "no-flushpackets")).url,
  }));
}

async function startStack<Variant extends string>(
  gateway: TestGatewayAddress,
  maxChildren: number | undefined,
  webServer: "nginx" | "apache",
  addVariants: (running: RunningStack) => Promise<Record<Variant, string>>,
): Promise<HostStack<Variant>> {
  await findStackTools();
  const dir = mkdtempSync(path.join(tmpdir(), "sluice-host-"));
  const quiet = () => {};
  const provisionStarted = performance.now();
  const site = await provisionProductionStack({
    dir,
    port: await freePort(),
    phpFpmPort: await freePort(),
    mariadbPort: await freePort(),
    maxChildren: maxChildren ?? 6,
    gatewayUrl: gateway.url,
    siteId: gateway.siteId,
    siteSecret: gateway.secret,
    requirePlugin: true,
    pageContent: '<!-- wp:sluice/chat {"blockId":"page-block-1"} /-->',
    log: quiet,
  });
  const provisionMs = performance.now() - provisionStarted;
  const startStarted = performance.now();
  const running = await startProductionStack({
    dir,
    log: quiet,
    tiedToThisProcess: true,
    webServer,
  });
  try {
    const urls = await addVariants(running);
    const startMs = performance.now() - startStarted;
    const { stdout } = await run("php", [
      path.join(fixtures, "admin-app-password.php"),
      running.layout.siteDir,
      running.url,
    ]);
    const { auth } = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { auth: string };
    return {
      running,
      dir,
      siteDir: running.layout.siteDir,
      pageId: site.pageId,
      urls,
      adminAuth: auth,
      admin: { user: site.adminUser, password: site.adminPassword },
      timings: { provisionMs, startMs },
      stop: async () => {
        await running.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await running.stop();
    throw error;
  }
}
