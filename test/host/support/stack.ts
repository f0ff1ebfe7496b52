import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../../../scripts/wordpress/commands.ts";
import type { NginxVariant } from "../../../scripts/wordpress/production/nginx.ts";
import {
  provisionProductionStack,
  type RunningStack,
  startProductionStack,
} from "../../../scripts/wordpress/production/stack.ts";
import { findStackTools } from "../../../scripts/wordpress/production/tools.ts";

const fixtures = fileURLToPath(new URL("../fixtures/", import.meta.url));

/** The production stack of a test file, with one nginx per variant in front of it. */
export interface HostStack {
  running: RunningStack;
  /** The stack's folder (a temp dir). */
  dir: string;
  siteDir: string;
  /** The provisioned page, holding a Chat block with blockId "page-block-1". */
  pageId: number;
  /** Each nginx variant's origin; "shipped" is the stack's own nginx. */
  urls: Record<NginxVariant, string>;
  /** "login:application-password" of the admin. */
  adminAuth: string;
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

/**
 * WordPress 7.1 on MariaDB and PHP-FPM behind the shipped nginx config, in a temp
 * folder, for this gateway; plus the same site behind each broken nginx variant.
 * Without nginx, php-fpm or MariaDB it fails naming scripts/install-system-deps.sh.
 */
export async function startHostStack(
  gateway: { url: string; siteId: string; secret: string },
  options: { maxChildren?: number } = {},
): Promise<HostStack> {
  await findStackTools();
  const dir = mkdtempSync(path.join(tmpdir(), "sluice-host-"));
  const quiet = () => {};
  const provisionStarted = performance.now();
  const site = await provisionProductionStack({
    dir,
    port: await freePort(),
    phpFpmPort: await freePort(),
    mariadbPort: await freePort(),
    maxChildren: options.maxChildren ?? 6,
    gatewayUrl: gateway.url,
    siteId: gateway.siteId,
    siteSecret: gateway.secret,
    requirePlugin: true,
    pageContent: '<!-- wp:sluice/chat {"blockId":"page-block-1"} /-->',
    log: quiet,
  });
  const provisionMs = performance.now() - provisionStarted;
  const startStarted = performance.now();
  const running = await startProductionStack({ dir, log: quiet, tiedToThisProcess: true });
  try {
    const buffered = await running.addNginx(await freePort(), "fastcgi-buffered");
    const gzip = await running.addNginx(await freePort(), "gzip");
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
      urls: { shipped: running.url, "fastcgi-buffered": buffered.url, gzip: gzip.url },
      adminAuth: auth,
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
