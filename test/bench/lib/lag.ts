import { monitorEventLoopDelay } from "node:perf_hooks";

/** How late this process's event loop ran, in ms beyond the sampling interval. */
export interface LagReading {
  p50: number;
  p99: number;
  max: number;
}

const RESOLUTION_MS = 10;

/** Samples the event loop every 10 ms; `read` reports the delay beyond those 10 ms. */
export function lagMonitor() {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const late = (nanoseconds: number) => Math.max(0, nanoseconds / 1e6 - RESOLUTION_MS);
  return {
    start(): void {
      histogram.reset();
      histogram.enable();
    },
    stop(): void {
      histogram.disable();
    },
    read(): LagReading {
      if (histogram.count === 0) return { p50: 0, p99: 0, max: 0 };
      return {
        p50: late(histogram.percentile(50)),
        p99: late(histogram.percentile(99)),
        max: late(histogram.max),
      };
    },
  };
}
