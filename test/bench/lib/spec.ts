/**
 * What one benchmark stream asks of the upstream. The spec travels inside the
 * user message ("bench chunks=100 interval=20 first=0"), because every target
 * forwards the messages unchanged (Sluice forwards nothing else of ours).
 */
export interface StreamSpec {
  /** Content chunks the upstream sends (each one token of usage). */
  chunks: number;
  /** Milliseconds between two content chunks. */
  intervalMs: number;
  /** Milliseconds before the first content chunk. */
  firstMs: number;
}

export function specMessage(spec: StreamSpec): string {
  return `bench chunks=${spec.chunks} interval=${spec.intervalMs} first=${spec.firstMs}`;
}

const SPEC = /bench chunks=(\d+) interval=(\d+(?:\.\d+)?) first=(\d+(?:\.\d+)?)/;

export function parseSpecMessage(text: string): StreamSpec | undefined {
  const match = text.match(SPEC);
  if (!match) return undefined;
  return { chunks: Number(match[1]), intervalMs: Number(match[2]), firstMs: Number(match[3]) };
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across local processes. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The text of content chunk `index`: its index and the upstream's send time. */
export function chunkText(index: number, sentAt: number): string {
  return `c${index}@${sentAt.toFixed(3)} `;
}

const CHUNK = /^c(\d+)@(\d+\.\d+) $/;

export function parseChunkText(text: string): { index: number; sentAt: number } | undefined {
  const match = text.match(CHUNK);
  if (!match) return undefined;
  return { index: Number(match[1]), sentAt: Number(match[2]) };
}

/** Expected length of a stream from the first byte to the last chunk. */
export function streamDurationMs(spec: StreamSpec): number {
  return spec.firstMs + (spec.chunks - 1) * spec.intervalMs;
}
