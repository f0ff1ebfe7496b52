import { request } from "node:http";
import { fileURLToPath } from "node:url";
import type { LagReading } from "../lib/lag.ts";
import { type Child, spawnChild } from "../lib/proc.ts";

export interface UpstreamStats {
  lag: LagReading;
  active: number;
  served: number;
}

export interface Upstream {
  origin: string;
  child: Child;
  /** Reads and resets the upstream's event-loop delay. */
  stats(): Promise<UpstreamStats>;
}

/** Starts the upstream in its own process and waits until it listens. */
export async function startUpstream(): Promise<Upstream> {
  const script = fileURLToPath(new URL("./server.ts", import.meta.url));
  const child = spawnChild("upstream", ["--import", "tsx", script]);
  const match = await child.waitForLine(/^listening (\d+)$/, 20_000);
  const origin = `http://127.0.0.1:${match[1]}`;
  return { origin, child, stats: () => getJson<UpstreamStats>(`${origin}/_bench/stats`) };
}

function getJson<T>(url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 5000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (part: string) => {
        text += part;
      });
      res.on("end", () => {
        try {
          resolve(JSON.parse(text) as T);
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url}`)));
    req.on("error", reject);
    req.end();
  });
}
