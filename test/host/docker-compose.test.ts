import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { run } from "../../scripts/wordpress/commands.ts";
import { minimumWordPress } from "../../scripts/wordpress/core.ts";
import { repoRoot } from "../../scripts/wordpress/paths.ts";
import {
  defaultDatabase,
  defaultMaxChildren,
  defaultStackPorts,
} from "../../scripts/wordpress/production/layout.ts";
import { renderSiteConf, shippedNginxConf } from "../../scripts/wordpress/production/nginx.ts";
import { sluicePoolDirectives } from "../../scripts/wordpress/production/php-fpm.ts";
import { productionCoreSuite } from "../../scripts/wordpress/production/stack.ts";
import { findStackTools } from "../../scripts/wordpress/production/tools.ts";
import { pluginSlug } from "../../scripts/wordpress/provision.ts";
import { generateSalts, renderWpConfig } from "../../scripts/wordpress/wp-config.ts";

// No Docker engine runs here: docker-compose.yml is checked, service by service,
// against the native production stack that test/host/streaming.test.ts runs.

interface Service {
  image: string;
  command?: string | string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  configs?: { source: string; target: string }[];
  healthcheck?: { test: string[] };
}

interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  configs: Record<string, { content: string }>;
}

const compose = parse(readFileSync(path.join(repoRoot, "docker-compose.yml"), "utf8")) as Compose;
const { gateway, database, wordpress, nginx } = compose.services as Record<string, Service>;

/** PHP-FPM's port in the official wordpress:*-fpm images (their zz-docker.conf). */
const imagePhpFpmPort = 9000;
/** The document root of the official wordpress images. */
const imageDocumentRoot = "/var/www/html";

/** Native versions, "major.minor", from the installed packages. */
const native = { php: "", mariadb: "" };

beforeAll(async () => {
  const tools = await findStackTools();
  native.php = /php-fpm(\d+\.\d+)$/.exec(tools.phpFpm)?.[1] ?? "";
  const { stdout } = await run(tools.mariadbd, ["--version"]);
  native.mariadb = /Ver (\d+\.\d+)\./.exec(stdout)?.[1] ?? "";
});

function mounts(service: Service | undefined): { source: string; target: string; mode: string }[] {
  return (service?.volumes ?? []).map((volume) => {
    const [source = "", target = "", mode = "rw"] = volume.split(":");
    return { source, target, mode };
  });
}

function dependsOn(service: Service | undefined): string[] {
  const value = service?.depends_on ?? [];
  return Array.isArray(value) ? value : Object.keys(value);
}

/** The `-e 's|line|replacement|'` pairs of nginx's start command. */
function sedEdits(command: Service["command"]): [string, string][] {
  const text = Array.isArray(command) ? command.join(" ") : (command ?? "");
  return [...text.matchAll(/-e '\s*s\|([^|]*)\|([^|]*)\|'/g)].map((match) => [
    match[1] ?? "",
    match[2] ?? "",
  ]);
}

describe("docker-compose.yml has the native production stack's topology", () => {
  it("has the same four parts: nginx, PHP-FPM with WordPress, MariaDB, the gateway", () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      "database",
      "gateway",
      "nginx",
      "wordpress",
    ]);
    expect(wordpress?.image).toBe(
      `wordpress:${minimumWordPress(productionCoreSuite)}-php${native.php}-fpm`,
    );
    expect(database?.image).toBe(`mariadb:${native.mariadb}`);
    expect(nginx?.image).toMatch(/^nginx:1\.\d+$/);
    expect(gateway?.image).toMatch(/^node:20/);
    expect(dependsOn(nginx).sort()).toEqual(["gateway", "wordpress"]);
    expect(dependsOn(wordpress).sort()).toEqual(["database", "gateway"]);
    expect(wordpress?.depends_on).toMatchObject({ database: { condition: "service_healthy" } });
    expect(database?.healthcheck?.test).toContain("healthcheck.sh");
  });

  it("serves docs/deploy/nginx.conf with the EDIT lines the native stack sets, and no other change", () => {
    const configMount = mounts(nginx).find(
      (mount) => path.resolve(repoRoot, mount.source) === shippedNginxConf,
    );
    expect(configMount?.mode).toBe("ro");
    const command = Array.isArray(nginx?.command) ? nginx.command.join(" ") : nginx?.command;
    expect(command).toContain(`${configMount?.target} > /etc/nginx/conf.d/default.conf`);
    expect(command).toContain("exec nginx -g 'daemon off;'");

    const shipped = readFileSync(shippedNginxConf, "utf8");
    let served = shipped;
    // sed changes every line that has it (PHP-FPM's is in both PHP upstreams: the
    // image has one pool, for pages and tickets alike).
    for (const [line, replacement] of sedEdits(nginx?.command)) {
      expect(served.split(line).length - 1, line).toBeGreaterThanOrEqual(1);
      served = served.replaceAll(line, replacement);
    }
    const gatewayPort = gateway?.environment?.SLUICE_PORT;
    expect(served).toBe(
      renderSiteConf(shipped, {
        // Unchanged: the container listens on the shipped port 80.
        listen: "80",
        root: imageDocumentRoot,
        phpFpm: `wordpress:${imagePhpFpmPort}`,
        gateway: `gateway:${gatewayPort}`,
      }),
    );
  });

  it("publishes nginx and the gateway on loopback at the native stack's ports, nothing else", () => {
    expect(nginx?.ports).toEqual([`127.0.0.1:${defaultStackPorts.nginx}:80`]);
    const gatewayPort = gateway?.environment?.SLUICE_PORT;
    // The native stack's gateway URL is http://127.0.0.1:8787 unless told otherwise.
    expect(gatewayPort).toBe("8787");
    expect(gateway?.ports).toEqual([`127.0.0.1:${gatewayPort}:${gatewayPort}`]);
    expect(gateway?.environment?.SLUICE_HOST).toBe("0.0.0.0");
    // As natively, PHP-FPM and MariaDB are reached only by their neighbours.
    expect(wordpress?.ports).toBeUndefined();
    expect(database?.ports).toBeUndefined();
  });

  it("gives nginx the files PHP-FPM runs, at the same paths, read-only", () => {
    const underRoot = (service: Service | undefined) =>
      mounts(service).filter((mount) => mount.target.startsWith(imageDocumentRoot));
    const served = underRoot(nginx);
    expect(served.map(({ source, target }) => ({ source, target }))).toEqual(
      underRoot(wordpress).map(({ source, target }) => ({ source, target })),
    );
    expect(served.every((mount) => mount.mode === "ro")).toBe(true);
    expect(mounts(wordpress)).toContainEqual({
      source: "./plugin",
      target: `${imageDocumentRoot}/wp-content/plugins/${pluginSlug}`,
      mode: "ro",
    });
  });

  it("keeps every service's data in a declared volume, and declares only those", () => {
    expect(mounts(database)).toContainEqual({
      source: "database",
      target: "/var/lib/mysql",
      mode: "rw",
    });
    expect(mounts(gateway)).toContainEqual({
      source: "gateway-data",
      target: gateway?.environment?.SLUICE_DATA_DIR,
      mode: "rw",
    });
    const named = Object.values(compose.services)
      .flatMap((service) => mounts(service))
      .map((mount) => mount.source)
      .filter((source) => !source.startsWith("."));
    expect([...new Set(named)].sort()).toEqual(Object.keys(compose.volumes).sort());
  });

  it("configures WordPress as the native stack does: its database, the Sluice constants", () => {
    const environment = wordpress?.environment ?? {};
    expect(environment.WORDPRESS_DB_NAME).toBe(defaultDatabase.name);
    expect(environment.WORDPRESS_DB_USER).toBe(defaultDatabase.user);
    expect(environment.WORDPRESS_DB_HOST).toBe("database:3306");
    expect(database?.environment).toMatchObject({
      MARIADB_DATABASE: environment.WORDPRESS_DB_NAME,
      MARIADB_USER: environment.WORDPRESS_DB_USER,
      MARIADB_PASSWORD: environment.WORDPRESS_DB_PASSWORD,
    });

    const constants = (text: string) =>
      [...text.matchAll(/define\( '(SLUICE_[A-Z_]+)'/g)].map((match) => match[1]).sort();
    const nativeConfig = renderWpConfig({
      siteUrl: "http://127.0.0.1:8891",
      salts: generateSalts(),
      gatewayUrl: "http://127.0.0.1:8787",
      siteId: "local",
      siteSecret: "secret",
    });
    const extra = environment.WORDPRESS_CONFIG_EXTRA ?? "";
    expect(constants(extra)).toEqual(constants(nativeConfig));
    expect(extra).toContain(
      `define( 'SLUICE_GATEWAY_URL', 'http://gateway:${gateway?.environment?.SLUICE_PORT}' );`,
    );
    // The site id the gateway registers, with the secret both are given.
    const siteId = /define\( 'SLUICE_SITE_ID', '([^']+)' \)/.exec(extra)?.[1];
    expect(String(gateway?.command)).toContain(`site add ${siteId} --secret`);
    expect(extra).toContain("getenv( 'SLUICE_SITE_SECRET' )");
    expect(environment.SLUICE_SITE_SECRET).toMatch(/^\$\{SLUICE_SITE_SECRET\}$/);
    expect(gateway?.environment?.SLUICE_SITE_SECRET).toMatch(/^\$\{SLUICE_SITE_SECRET:\?/);
  });

  it("runs PHP-FPM with the native stack's pool settings", () => {
    const pool = wordpress?.configs?.find((config) => config.source === "php-fpm-pool");
    // Read after the image's own zz-docker.conf, so these win.
    expect(pool?.target).toBe("/usr/local/etc/php-fpm.d/zz-sluice.conf");
    expect(path.basename(pool?.target ?? "") > "zz-docker.conf").toBe(true);
    const content = compose.configs[pool?.source ?? ""]?.content ?? "";
    const settings = Object.fromEntries(
      content
        .split("\n")
        .map((line) => /^([\w.]+)\s*=\s*(.+)$/.exec(line.trim()))
        .filter((match) => match !== null)
        .map((match) => [match[1], match[2]]),
    );
    expect(content.trim().split("\n")[0]).toBe("[www]");
    expect(settings).toEqual(sluicePoolDirectives(defaultMaxChildren));
  });
});
