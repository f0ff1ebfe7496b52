import { run } from "./commands.ts";

/** PHP extensions the site needs, with the Debian package that brings each. */
const requiredExtensions: Record<string, string> = {
  pdo_sqlite: "php-sqlite3",
  curl: "php-curl",
  dom: "php-xml",
  mbstring: "php-mbstring",
  gd: "php-gd",
  intl: "php-intl",
  zip: "php-zip",
};

/** Fails with what to install when PHP or one of the extensions is missing. */
export async function checkPhp(): Promise<string> {
  const { stdout } = await run("php", [
    "-r",
    'echo json_encode(["version" => PHP_VERSION, "extensions" => array_map("strtolower", get_loaded_extensions())]);',
  ]);
  const report = JSON.parse(stdout) as { version: string; extensions: string[] };
  const missing = Object.entries(requiredExtensions).filter(
    ([extension]) => !report.extensions.includes(extension),
  );
  if (missing.length > 0) {
    const packages = missing.map(([, debianPackage]) => debianPackage).join(" ");
    const names = missing.map(([extension]) => extension).join(", ");
    throw new Error(
      `PHP ${report.version} lacks the extensions ${names}: run \`bash scripts/install-system-deps.sh\` as root (or apt-get install ${packages})`,
    );
  }
  return report.version;
}
