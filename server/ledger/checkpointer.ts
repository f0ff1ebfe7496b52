import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { Db } from "./db.ts";

const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 5000");
const timer = setInterval(() => {
  try { db.pragma("wal_checkpoint(PASSIVE)"); } catch (error) { parentPort.postMessage(String(error)); }
}, workerData.intervalMs);
parentPort.on("message", () => { clearInterval(timer); db.close(); process.exit(0); });
`;

/**
 * Moves WAL checkpoints (and their fsyncs) off the event loop: automatic
 * checkpoints are turned off on the serving connection, and a worker thread
 * with its own connection checkpoints every `intervalMs`.
 */
export function checkpointInBackground(db: Db, intervalMs = 1000): { stop(): Promise<void> } {
  db.pragma("wal_autocheckpoint = 0");
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driver, path: db.name, intervalMs },
  });
  worker.unref();
  return {
    stop: async () => {
      // Keep the process alive until the worker has closed its connection.
      worker.ref();
      worker.postMessage("stop");
      await new Promise((resolve) => worker.once("exit", resolve));
      db.pragma("wal_checkpoint(TRUNCATE)");
    },
  };
}
