import { run } from "../../../scripts/wordpress/commands.ts";

const installHint = "run `bash scripts/install-system-deps.sh` (as root)";

/**
 * PHP with the extensions the plugin needs, or an error that says how to get it.
 * The plugin's tests fail without PHP rather than skip.
 */
export async function requirePhp(): Promise<string> {
  let report: { version: string; curl: boolean; sodium: boolean };
  try {
    const { stdout } = await run("php", [
      "-r",
      'echo json_encode(["version" => PHP_VERSION, "curl" => function_exists("curl_multi_init"), "sodium" => function_exists("sodium_crypto_secretbox")]);',
    ]);
    report = JSON.parse(stdout) as typeof report;
  } catch (error) {
    throw new Error(
      `The WordPress plugin's tests need PHP: ${installHint}.\n${(error as Error).message}`,
    );
  }
  if (!report.curl) {
    throw new Error(`PHP ${report.version} lacks the curl extension: ${installHint}.`);
  }
  return report.version;
}

/** Runs PHP code with the plugin's Signer loaded (no WordPress), returns stdout. */
export async function runPhpWithSigner(signerFile: string, code: string): Promise<string> {
  const { stdout } = await run("php", [
    "-r",
    `define("ABSPATH", "/"); require ${JSON.stringify(signerFile)}; ${code}`,
  ]);
  return stdout;
}
