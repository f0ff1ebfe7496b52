export type Logger = (line: string) => void;

export const printLine: Logger = (line) => {
  console.log(`[wordpress] ${line}`);
};

/** Runs a step, printing its name first and how long it took after. */
export async function timedStep<T>(log: Logger, label: string, step: () => Promise<T>): Promise<T> {
  const started = performance.now();
  log(`${label}…`);
  const result = await step();
  log(`${label}: done in ${seconds(performance.now() - started)}`);
  return result;
}

export function seconds(milliseconds: number): string {
  return `${(milliseconds / 1000).toFixed(1)} s`;
}
