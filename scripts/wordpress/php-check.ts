import { run } from "./commands.ts";

/** PHP extensions every site needs, with the Debian package that brings each. */
const commonExtensions: Record<string, string> = {
  curl: "php-curl",
  dom: "php-xml",
  mbstring: "php-mbstring",
  gd: "php-gd",
  intl: "php-intl",
  zip: "php-zip",
};

/** The extension of each database WordPress can use here. */
const databaseExtensions: Record<"sqlite" | "mysql", Record<string, string>> = {
  sqlite: { pdo_sqlite: "php-sqlite3" },
  mysql: { mysqli: "php-mysql" },
};

/** Fails with what to install when PHP or one of the extensions is missing. */
export async function checkPhp(database: "sqlite" | "mysql" = "sqlite"): Promise<string> {
  const requiredExtensions = { ...databaseExtensions[database], ...commonExtensions };
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
