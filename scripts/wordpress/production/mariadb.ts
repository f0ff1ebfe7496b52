import { existsSync } from "node:fs";
import path from "node:path";
import { run } from "../commands.ts";
import { type Logger, timedStep } from "../log.ts";
import { portOpen, type RunningDaemon, startDaemon } from "./daemons.ts";
import type { StackLayout, StackSettings } from "./layout.ts";
import { runningAsRoot, type StackTools } from "./tools.ts";

export const mariadbName = "mariadb";

/**
 * Server options shared by the datadir's creation and every start: nothing is read
 * from /etc/mysql (--no-defaults must come first), and the server is small and
 * quick for a test site (a small redo log, commits flushed once a second).
 */
function serverOptions(layout: StackLayout): string[] {
  return [
    "--no-defaults",
    `--datadir=${layout.dataDir}`,
    ...(runningAsRoot() ? ["--user=root"] : []),
    "--innodb-buffer-pool-size=64M",
    "--innodb-log-file-size=16M",
    "--innodb-flush-log-at-trx-commit=2",
  ];
}

export function mariadbSocket(layout: StackLayout): string {
  return path.join(layout.runDir, "mariadb.sock");
}

/** Creates the datadir the first time: root may log in over the socket without a password. */
export async function initMariadb(
  tools: StackTools,
  layout: StackLayout,
  log: Logger,
): Promise<void> {
  if (existsSync(path.join(layout.dataDir, "mysql"))) return;
  await timedStep(log, `Creating the MariaDB datadir ${layout.dataDir}`, () =>
    run(tools.mariadbInstallDb, [
      ...serverOptions(layout),
      "--auth-root-authentication-method=normal",
      "--skip-test-db",
    ]),
  );
}

/** mariadbd on 127.0.0.1:port and a private socket, logging to the stack's log dir. */
export function startMariadb(
  tools: StackTools,
  layout: StackLayout,
  port: number,
  tiedToThisProcess = false,
): Promise<RunningDaemon> {
  const socket = mariadbSocket(layout);
  return startDaemon(layout.runDir, {
    name: mariadbName,
    command: tools.mariadbd,
    args: [
      ...serverOptions(layout),
      `--port=${port}`,
      "--bind-address=127.0.0.1",
      `--socket=${socket}`,
      `--pid-file=${path.join(layout.runDir, "mariadb.pid")}`,
      `--log-error=${path.join(layout.logDir, "mariadb.log")}`,
      "--skip-name-resolve",
      "--skip-log-bin",
    ],
    logFile: path.join(layout.logDir, "mariadb.out.log"),
    ready: async () => existsSync(socket) && (await portOpen(port)),
    stopTimeoutMs: 30_000,
    tiedToThisProcess,
  });
}

function sqlString(value: string): string {
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/** Runs SQL as root over the socket. */
export async function mariadbQuery(
  tools: StackTools,
  layout: StackLayout,
  sql: string,
): Promise<string> {
  const { stdout } = await run(tools.mariadb, [
    "--no-defaults",
    `--socket=${mariadbSocket(layout)}`,
    "--user=root",
    "--batch",
    "--skip-column-names",
    "--execute",
    sql,
  ]);
  return stdout;
}

/** The site's database and its user (from 127.0.0.1 only), with the stack's password. */
export async function ensureDatabase(
  tools: StackTools,
  layout: StackLayout,
  database: StackSettings["database"],
): Promise<void> {
  const name = `\`${database.name.replaceAll("`", "``")}\``;
  const account = `${sqlString(database.user)}@'127.0.0.1'`;
  const password = sqlString(database.password);
  await mariadbQuery(
    tools,
    layout,
    [
      `CREATE DATABASE IF NOT EXISTS ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;`,
      `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${password};`,
      `ALTER USER ${account} IDENTIFIED BY ${password};`,
      `GRANT ALL PRIVILEGES ON ${name}.* TO ${account};`,
    ].join("\n"),
  );
}
