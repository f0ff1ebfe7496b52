import { spawn } from "node:child_process";

const installHint = "run `bash scripts/install-system-deps.sh` as root";

/** What to install when a command is missing. */
const missingToolHints: Record<string, string> = {
  php: `PHP is not installed: ${installHint} (installs php-cli php-sqlite3 php-curl php-xml php-mbstring php-gd php-intl php-zip unzip)`,
  unzip: `unzip is not installed: ${installHint}, or apt-get install unzip`,
  "apt-get":
    "apt-get was not found: WordPress core is fetched from Debian's package archive, so this needs Debian (or a derivative) with apt-get and dpkg-deb",
  "dpkg-deb":
    "dpkg-deb was not found: WordPress core is fetched from Debian's package archive, so this needs Debian (or a derivative) with apt-get and dpkg-deb",
  tar: "tar was not found: apt-get install tar",
  npm: "npm was not found: install Node.js with npm",
};

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, without a shell; rejects with its output when it fails. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") {
        reject(new Error(missingToolHints[command] ?? `${command} was not found on PATH`));
      } else {
        reject(error);
      }
    });
    child.on("close", (code, signal) => {
      const result = {
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      };
      if (code === 0) {
        resolve(result);
        return;
      }
      const output = `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-30).join("\n");
      const status = signal ? `signal ${signal}` : `exit code ${code}`;
      const printed = output ? `:\n${output}` : " (it printed nothing)";
      reject(new Error(`${command} ${args.join(" ")} failed with ${status}${printed}`));
    });
  });
}

/** True when the command can be found on PATH. */
export async function hasCommand(command: string): Promise<boolean> {
  try {
    await run("sh", ["-c", 'command -v "$1"', "sh", command]);
    return true;
  } catch {
    return false;
  }
}

export function missingToolHint(command: string): string {
  return missingToolHints[command] ?? `${command} was not found on PATH`;
}
