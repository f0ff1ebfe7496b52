import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { type CoreSuite, debianSources, defaultCoreSuite } from "./apt-sources.ts";
import { hasCommand, missingToolHint, run } from "./commands.ts";
import { copyTree, publishTree, removeTree, uniqueSuffix } from "./files.ts";
import { type Logger, timedStep } from "./log.ts";

/**
 * Debian packages that make up WordPress core: Debian replaces bundled libraries
 * with symlinks into these, which are resolved when the tree is copied out.
 */
const corePackages = [
  "wordpress",
  "wordpress-theme-twentytwentyfive",
  "libjs-lodash",
  "libjs-underscore",
  "libjs-cropper",
  "php-getid3",
  "libjs-jquery-ui",
  "libphp-phpmailer",
];

/**
 * The oldest WordPress each suite may give. Blocks built with @wordpress/scripts 28+
 * need 6.6+ (react-jsx-runtime); the php -S stack targets 6.8, the production stack 7.1.
 */
const minimumVersions: Record<CoreSuite, [number, number]> = {
  trixie: [6, 8],
  forky: [7, 1],
  sid: [7, 1],
};

/** The oldest WordPress a suite may give, "major.minor" (e.g. "7.1" for forky). */
export function minimumWordPress(suite: CoreSuite): string {
  return minimumVersions[suite].join(".");
}

/** Where a suite's core tree is cached: trixie keeps the folder it always had. */
export function coreCacheDir(cacheDir: string, suite: CoreSuite): string {
  return path.join(
    cacheDir,
    suite === defaultCoreSuite ? "wordpress-core" : `wordpress-core-${suite}`,
  );
}

export interface WordPressCore {
  dir: string;
  version: string;
}

/** Returns the cached WordPress core tree, fetching it from that Debian suite the first time. */
export async function ensureWordPressCore(
  cacheDir: string,
  log: Logger,
  suite: CoreSuite = defaultCoreSuite,
): Promise<WordPressCore> {
  const coreDir = coreCacheDir(cacheDir, suite);
  if (existsSync(path.join(coreDir, "wp-includes", "version.php"))) {
    const version = readCoreVersion(coreDir);
    log(`WordPress ${version} core: cached in ${coreDir}`);
    return { dir: coreDir, version };
  }
  for (const tool of ["apt-get", "dpkg-deb"]) {
    if (!(await hasCommand(tool))) throw new Error(missingToolHint(tool));
  }
  // Private to this call, so that concurrent first runs do not collide.
  const suffix = uniqueSuffix();
  const workDir = path.join(cacheDir, `wordpress-debian.${suffix}`);
  const building = `${coreDir}.partial.${suffix}`;
  let version: string;
  try {
    const debsDir = await downloadCorePackages(workDir, suite, log);
    await timedStep(log, "Unpacking WordPress core", () =>
      unpackCore(debsDir, path.join(workDir, "unpacked"), building),
    );
    version = readCoreVersion(building);
    const [major = 0, minor = 0] = version.split(".").map(Number);
    const [minimumMajor, minimumMinor] = minimumVersions[suite];
    if (major < minimumMajor || (major === minimumMajor && minor < minimumMinor)) {
      throw new Error(
        `Debian ${suite} gave WordPress ${version}; ${minimumMajor}.${minimumMinor} or newer is needed`,
      );
    }
    await publishTree(building, coreDir, path.join("wp-includes", "version.php"));
  } finally {
    await removeTree(workDir);
    await removeTree(building);
  }
  log(`WordPress ${version} core: cached in ${coreDir}`);
  return { dir: coreDir, version };
}

/** Extracts the packages and copies WordPress out of them with every symlink resolved. */
async function unpackCore(debsDir: string, unpacked: string, target: string): Promise<void> {
  mkdirSync(unpacked, { recursive: true });
  for (const deb of readdirSync(debsDir).filter((name) => name.endsWith(".deb"))) {
    await run("dpkg-deb", ["-x", path.join(debsDir, deb), unpacked]);
  }
  const tree = path.join(unpacked, "usr", "share", "wordpress");
  if (!existsSync(tree)) throw new Error("the wordpress package had no usr/share/wordpress");
  // Debian's own configuration points at /etc/wordpress; this tool writes its own.
  rmSync(path.join(tree, "wp-config.php"), { force: true });
  rmSync(path.join(tree, ".htaccess"), { force: true });
  repointAbsoluteLinks(tree, unpacked);
  await copyTree(tree, target, { dereference: true });
}

/** Fetches the .deb files with a private apt state; the system's apt setup is untouched. */
async function downloadCorePackages(
  workDir: string,
  suite: CoreSuite,
  log: Logger,
): Promise<string> {
  const sourcesFile = path.join(workDir, `${suite}.sources`);
  const listsDir = path.join(workDir, "lists");
  const aptCacheDir = path.join(workDir, "apt-cache");
  const debsDir = path.join(workDir, "debs");
  for (const dir of [
    path.join(listsDir, "partial"),
    path.join(aptCacheDir, "archives", "partial"),
  ]) {
    mkdirSync(dir, { recursive: true });
  }
  rmSync(debsDir, { recursive: true, force: true });
  mkdirSync(debsDir, { recursive: true });
  writeFileSync(sourcesFile, debianSources(suite));
  const aptOptions = [
    "-q",
    "-o",
    `Dir::Etc::SourceList=${sourcesFile}`,
    "-o",
    "Dir::Etc::SourceParts=/dev/null",
    "-o",
    `Dir::State::Lists=${listsDir}`,
    "-o",
    `Dir::Cache=${aptCacheDir}`,
    "-o",
    "Dir::State::status=/dev/null",
    "-o",
    "Acquire::Languages=none",
  ];
  if (process.getuid?.() === 0) aptOptions.push("-o", "APT::Sandbox::User=root");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  await timedStep(log, `Fetching Debian ${suite} package lists (about 10 MB)`, () =>
    run("apt-get", [...aptOptions, "update"], { env }),
  );
  await timedStep(log, `Downloading WordPress core from Debian ${suite} (about 18 MB)`, () =>
    run("apt-get", [...aptOptions, "download", ...corePackages], { cwd: debsDir, env }),
  );
  return debsDir;
}

/**
 * Symlinks that point at an absolute path (the CA bundle, /etc/wordpress) are
 * pointed inside the unpacked tree when the target is there, at the system file
 * when that exists, and dropped otherwise, so that a dereferencing copy succeeds.
 */
function repointAbsoluteLinks(dir: string, unpackedRoot: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const entryPath = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      repointAbsoluteLinks(entryPath, unpackedRoot);
      continue;
    }
    if (!entry.isSymbolicLink()) continue;
    const target = readlinkSync(entryPath);
    const resolved = path.isAbsolute(target) ? target : path.resolve(dir, target);
    const inside = path.isAbsolute(target) ? path.join(unpackedRoot, target) : resolved;
    rmSync(entryPath);
    if (existsSync(inside)) {
      symlinkSync(inside, entryPath);
    } else if (existsSync(resolved) && lstatSync(resolved).isFile()) {
      symlinkSync(resolved, entryPath);
    }
  }
}

function readCoreVersion(coreDir: string): string {
  const source = readFileSync(path.join(coreDir, "wp-includes", "version.php"), "utf8");
  const match = /\$wp_version\s*=\s*'([^']+)'/.exec(source);
  if (!match?.[1]) throw new Error(`cannot read the WordPress version in ${coreDir}`);
  return match[1];
}
