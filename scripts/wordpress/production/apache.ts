import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { run } from "../commands.ts";
import { repoRoot } from "../paths.ts";
import { portOpen, type RunningDaemon, startDaemon } from "./daemons.ts";
import type { StackLayout } from "./layout.ts";
import { runningAsRoot, which } from "./tools.ts";

/** The Apache virtual host users install; the stack serves this very file. */
export const shippedApacheConf = path.join(repoRoot, "docs", "deploy", "apache.conf");

/** What an Apache of the stack serves: the shipped file, or one line of it taken out. */
export type ApacheVariant = "shipped" | "no-flushpackets";

export const apacheVariantNames: ApacheVariant[] = ["shipped", "no-flushpackets"];

/** In the shipped line `line` (compared trimmed), `from` becomes `to`. */
interface ApacheEdit {
  line: string;
  from: string;
  to: string;
}

/** The shipped ProxyPassMatch of the stream routes, the line both kinds of edit touch. */
const streamProxyLine =
  'ProxyPassMatch "^/wp-json/sluice/v1/(chat|stream-probe)$" "unix:/run/php/php8.2-fpm.sock|fcgi://sluice-stream/var/www/wordpress/index.php" flushpackets=on timeout=120';

export const apacheVariants: Record<ApacheVariant, { description: string; edits: ApacheEdit[] }> = {
  shipped: { description: "docs/deploy/apache.conf as shipped", edits: [] },
  "no-flushpackets": {
    description: "the same without flushpackets=on on the stream routes",
    edits: [{ line: streamProxyLine, from: " flushpackets=on", to: "" }],
  },
};

/** The values of the shipped file's EDIT lines for one deployment of it. */
export interface ApacheSiteSettings {
  port: number;
  /** The WordPress folder. */
  root: string;
  /** host:port of PHP-FPM (the stack's pool listens on TCP). */
  phpFpm: string;
  /** host:port of the gateway. */
  gateway: string;
}

/**
 * The EDIT lines the stack sets: the port, the WordPress folder (twice), PHP-FPM's
 * address (twice: a TCP pool, written as the file's comments say) and the gateway's.
 * ServerName stays: the virtual host is the only one on its port.
 */
export function apacheSiteEdits(settings: ApacheSiteSettings): ApacheEdit[] {
  const root = settings.root;
  return [
    { line: "<VirtualHost *:80>", from: "*:80", to: `*:${settings.port}` },
    { line: "DocumentRoot /var/www/wordpress", from: "/var/www/wordpress", to: root },
    { line: "<Directory /var/www/wordpress>", from: "/var/www/wordpress", to: root },
    {
      line: 'SetHandler "proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost/"',
      from: "proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost/",
      to: `proxy:fcgi://${settings.phpFpm}`,
    },
    {
      line: streamProxyLine,
      from: "unix:/run/php/php8.2-fpm.sock|fcgi://sluice-stream/var/www/wordpress/index.php",
      to: `fcgi://${settings.phpFpm}${root}/index.php`,
    },
    {
      line: 'ProxyPass "http://127.0.0.1:8787/" flushpackets=on timeout=120 ttl=60',
      from: "http://127.0.0.1:8787/",
      to: `http://${settings.gateway}/`,
    },
  ];
}

/**
 * The shipped file with its EDIT lines set for this stack, and a variant's change.
 * Every other line is the shipped one, byte for byte. Fails when a line it expects is
 * not in the file exactly once.
 */
export function renderApacheSiteConf(
  shipped: string,
  settings: ApacheSiteSettings,
  variant: ApacheVariant = "shipped",
): string {
  const edits = [...apacheSiteEdits(settings), ...apacheVariants[variant].edits];
  const lines = shipped.split("\n");
  for (const edit of edits) {
    const found = lines.filter((line) => line.trim() === edit.line).length;
    if (found !== 1 || !edit.line.includes(edit.from)) {
      throw new Error(
        `${path.relative(repoRoot, shippedApacheConf)} should have the line \`${edit.line}\` once, not ${found} times: update scripts/wordpress/production/apache.ts with it`,
      );
    }
  }
  return lines
    .map((line) =>
      edits
        .filter((edit) => edit.line === line.trim())
        .reduce((edited, edit) => edited.replace(edit.from, edit.to), line),
    )
    .join("\n");
}

export interface ApacheInstance {
  /** Names the instance's files and record: "apache-PORT". */
  name: string;
  port: number;
  variant: ApacheVariant;
  siteConf: string;
  mainConf: string;
  errorLog: string;
  accessLog: string;
  /** DefaultRuntimeDir, and where the pid file goes. */
  runtimeDir: string;
}

export function apacheInstance(
  layout: StackLayout,
  port: number,
  variant: ApacheVariant,
): ApacheInstance {
  const name = `apache-${port}`;
  return {
    name,
    port,
    variant,
    siteConf: path.join(layout.confDir, `sluice-apache-${port}.conf`),
    mainConf: path.join(layout.confDir, `${name}.conf`),
    errorLog: path.join(layout.logDir, `${name}-error.log`),
    accessLog: path.join(layout.logDir, `${name}-access.log`),
    runtimeDir: path.join(layout.runDir, name),
  };
}

/**
 * The modules a Debian host has for the file: its defaults that the file relies on
 * (the event MPM, which Debian's apache2 uses with PHP-FPM; Require; DirectoryIndex
 * with index.php; MIME types), those that `a2enmod` in the file's header enables, and
 * Debian's default compression. Each is loaded as a2enmod enables it: Debian's own
 * .load file and, where there is one, its .conf.
 */
export const apacheModules = [
  "mpm_event",
  "authz_core",
  "dir",
  "mime",
  "proxy",
  "proxy_fcgi",
  "proxy_http",
  "rewrite",
  "env",
  // Debian's defaults that compress (text/html and the like): the file must keep the
  // streams out of them.
  "filter",
  "deflate",
];

const debianModsDir = "/etc/apache2/mods-available";

/** Debian's user for Apache's workers: Apache will not serve pages as root. */
const workerUser = "www-data";

/** The stack's own Apache config: everything private to the stack, then the site file. */
export function renderApacheMainConf(layout: StackLayout, instance: ApacheInstance): string {
  const modules = apacheModules.flatMap((module) => {
    const conf = path.join(debianModsDir, `${module}.conf`);
    const load = `Include ${path.join(debianModsDir, `${module}.load`)}`;
    return exists(conf) ? [load, `Include ${conf}`] : [load];
  });
  return `# Written by scripts/wordpress (production stack); rewritten on every start.
# Serves ${path.basename(instance.siteConf)}: ${apacheVariants[instance.variant].description}.
ServerRoot ${layout.root}
PidFile ${path.join(instance.runtimeDir, "apache.pid")}
DefaultRuntimeDir ${instance.runtimeDir}
ErrorLog ${instance.errorLog}
LogLevel warn
Listen 127.0.0.1:${instance.port}
ServerName 127.0.0.1
${runningAsRoot() ? `User ${workerUser}\nGroup ${workerUser}\n` : ""}
${modules.join("\n")}

# A host that compresses every event stream too: the file's SetEnv no-gzip must win.
AddOutputFilterByType DEFLATE text/event-stream

LogFormat "%h %t \\"%r\\" %>s %b %D" sluice
CustomLog ${instance.accessLog} sluice

# As Debian's apache2.conf: nothing is served from the file system unless a
# <Directory> of the site allows it.
<Directory />
    AllowOverride None
    Require all denied
</Directory>

Include ${instance.siteConf}
`;
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Debian's apache2 (in /usr/sbin), or an error naming the script that installs it. */
export function findApache(): string {
  const apache = which("apache2");
  if (!apache || !exists(path.join(debianModsDir, "proxy_fcgi.load"))) {
    throw new Error(
      "Serving the stack through Apache needs Debian's apache2: run `bash scripts/install-system-deps.sh` as root (it installs apache2)",
    );
  }
  return apache;
}

/**
 * Run as root, Apache's workers are www-data: they must reach the document root. The
 * stack's folder (a private temp dir in tests) gets o+x, traverse only; its other
 * folders stay 0700.
 */
function letWorkersReach(layout: StackLayout): void {
  if (!runningAsRoot()) return;
  for (let dir = layout.siteDir; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o001);
    if (dir === layout.root) break;
  }
}

/**
 * WordPress's own .htaccess rules (pretty permalinks, /wp-json/), written as WordPress
 * writes them when an admin saves Settings → Permalinks on Apache: its rewrite rules
 * between its "# BEGIN WordPress" markers. (Provisioning runs under the CLI, where
 * WordPress does not know it is on Apache and writes none; nginx needs none.)
 */
const writeHtaccess = `
$_SERVER['HTTP_HOST'] = '127.0.0.1';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['REQUEST_URI'] = '/';
require $argv[1] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/misc.php';
global $wp_rewrite;
$rules = $wp_rewrite->mod_rewrite_rules();
if ( '' === trim( $rules ) || ! insert_with_markers( ABSPATH . '.htaccess', 'WordPress', explode( "\\n", $rules ) ) ) {
  fwrite( STDERR, "no .htaccess written: are pretty permalinks on?\\n" );
  exit( 1 );
}
`;

export async function writeWordPressHtaccess(siteDir: string): Promise<void> {
  await run("php", ["-r", writeHtaccess, "--", siteDir]);
}

/** Writes the instance's files and serves it in the foreground; resolves once the port accepts. */
export async function startApache(
  layout: StackLayout,
  instance: ApacheInstance,
  site: Omit<ApacheSiteSettings, "port">,
  tiedToThisProcess = false,
): Promise<RunningDaemon> {
  const apache = findApache();
  letWorkersReach(layout);
  await writeWordPressHtaccess(layout.siteDir);
  mkdirSync(instance.runtimeDir, { recursive: true });
  const shipped = readFileSync(shippedApacheConf, "utf8");
  const settings = { ...site, port: instance.port };
  writeFileSync(instance.siteConf, renderApacheSiteConf(shipped, settings, instance.variant));
  writeFileSync(instance.mainConf, renderApacheMainConf(layout, instance));
  return startDaemon(layout.runDir, {
    name: instance.name,
    command: apache,
    // -DFOREGROUND: no fork, no new session, so stopping the process group stops it.
    args: ["-f", instance.mainConf, "-DFOREGROUND"],
    logFile: path.join(layout.logDir, `${instance.name}.out.log`),
    ready: () => portOpen(instance.port),
    tiedToThisProcess,
  });
}
