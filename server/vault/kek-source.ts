import { execFileSync } from "node:child_process";
import { VaultError } from "./errors.ts";
import { loadKeyFile } from "./key-file.ts";

/** Where the key-encryption key comes from: the configuration's part of it. */
export interface KekSettings {
  /** SLUICE_VAULT_KEY: the KEK itself, base64 or hex. */
  key: string | undefined;
  /** SLUICE_VAULT_KEY_FILE: the KEK's file when neither the key nor a command is set. */
  keyPath: string;
  /** SLUICE_VAULT_KEK_COMMAND: a command whose standard output is the KEK. */
  command?: string | undefined;
}

export type KekMode = "environment" | "command" | "key-file";

export interface LoadedKek {
  /** 32 bytes; the caller zeroes them once the vault holds its copy. */
  key: Buffer;
  /** What to name in messages: SLUICE_VAULT_KEY, the file, the command. */
  source: string;
}

/** The most a KEK command may take: a KMS call over a slow network, not a hung prompt. */
const COMMAND_TIMEOUT_MS = 30_000;
/** A KEK is 44 characters of base64; more than this is not a key. */
const COMMAND_MAX_OUTPUT = 64 * 1024;

export function kekMode(settings: KekSettings): KekMode {
  if (settings.key && settings.command) {
    throw new VaultError("set SLUICE_VAULT_KEY or SLUICE_VAULT_KEK_COMMAND, not both");
  }
  if (settings.key) return "environment";
  return settings.command ? "command" : "key-file";
}

/**
 * The configured KEK. A missing key file is created (32 random bytes) only
 * when `createKeyFile` says so: not when the vault already has secrets sealed
 * under a KEK that file should hold.
 */
export function loadKek(settings: KekSettings, options: { createKeyFile: boolean }): LoadedKek {
  const mode = kekMode(settings);
  if (mode === "environment") {
    return {
      key: decodeKey(settings.key as string, "SLUICE_VAULT_KEY"),
      source: "SLUICE_VAULT_KEY",
    };
  }
  if (mode === "command") {
    return runKekCommand(settings.command as string, "SLUICE_VAULT_KEK_COMMAND");
  }
  const source = `the vault key file ${settings.keyPath}`;
  return {
    key: decodeKey(loadKeyFile(settings.keyPath, { create: options.createKeyFile }), source),
    source,
  };
}

/**
 * Runs a KEK command and reads the KEK from its standard output (base64 or
 * hex, surrounding white space ignored). The command is split into words
 * (splitCommand) and run without a shell; it inherits the environment (a KMS
 * client needs its credentials) and gets no standard input. A failure says
 * which command failed and how, with the first line of its error output;
 * never its standard output, which may hold a key.
 */
export function runKekCommand(command: string, label: string): LoadedKek {
  const words = splitCommand(command);
  const [file, ...args] = words;
  const source = `${label} (${file ?? "empty"})`;
  if (file === undefined) throw new VaultError(`${label} is empty`);
  let output: Buffer;
  try {
    output = execFileSync(file, args, {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: COMMAND_TIMEOUT_MS,
      maxBuffer: COMMAND_MAX_OUTPUT,
      windowsHide: true,
    });
  } catch (error) {
    throw new VaultError(`${source} failed: ${describeFailure(error)}`);
  }
  try {
    return { key: decodeKey(output.toString("utf8"), `the output of ${source}`), source };
  } finally {
    output.fill(0);
  }
}

function describeFailure(error: unknown): string {
  const failure = error as {
    code?: string;
    status?: number | null;
    signal?: string | null;
    stderr?: Buffer;
  };
  const stderr = failure.stderr?.toString("utf8").trim().split("\n")[0]?.slice(0, 300);
  const said = stderr ? `: ${stderr}` : "";
  if (failure.code === "ENOENT") return "no such command";
  if (failure.code === "EACCES") return "not executable";
  if (failure.code === "ETIMEDOUT") return `no answer within ${COMMAND_TIMEOUT_MS / 1000} s`;
  if (failure.code === "ENOBUFS") return `more than ${COMMAND_MAX_OUTPUT} bytes of output`;
  if (typeof failure.status === "number") return `exit status ${failure.status}${said}`;
  if (failure.signal) return `killed by ${failure.signal}${said}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * A command line as words, the way a shell splits it but with nothing else a
 * shell does: white space separates words; '…' keeps everything literally;
 * "…" keeps everything but \" and \\; a backslash outside quotes escapes the
 * next character. No variables, globs, pipes or redirections: for those, point
 * the command at a script.
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let index = 0; index < command.length; index += 1) {
    const char = command[index] as string;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
    } else if (quote === '"') {
      const next = command[index + 1];
      if (char === '"') quote = undefined;
      else if (char === "\\" && (next === '"' || next === "\\")) {
        word += next;
        index += 1;
      } else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === "\\" && index + 1 < command.length) {
      word += command[index + 1];
      index += 1;
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (quote) throw new VaultError(`unbalanced ${quote} in the command: ${command}`);
  if (inWord) words.push(word);
  return words;
}

/** A 32-byte key written as base64 or hex (64 hex digits). */
export function decodeKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed)
    ? Buffer.from(trimmed, "hex")
    : Buffer.from(trimmed, "base64");
  if (key.length !== 32) {
    key.fill(0);
    throw new VaultError(`${source} must hold 32 bytes, base64 or hex encoded`);
  }
  return key;
}
