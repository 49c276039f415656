// What the benchmarks share: how a figure is reported against its same-run baseline, and rates
// measured over a fixed number of iterations (synchronous and awaited).

/** One figure against its same-run baseline; `target` null: informational, no target of its own. */
export type Report = (
  name: string,
  value: number,
  baseline: number,
  unit: string,
  target: number | null,
) => void;

export function opsPerSecond(fn: (i: number) => unknown, iterations: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(i);
  return iterations / (Number(process.hrtime.bigint() - start) / 1e9);
}

export async function asyncOpsPerSecond(
  fn: (i: number) => Promise<unknown>,
  iterations: number,
): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await fn(i);
  return iterations / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** The mean rate of runs of equal work. */
export const harmonic = (rates: number[]) => rates.length / rates.reduce((a, r) => a + 1 / r, 0);

export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The value of a server setting, or null with a line saying which part is skipped. */
export function serverSetting(name: 'DATABASE_URL' | 'REDIS_URL', skipping: string): string | null {
  const value = process.env[name];
  if (value) return value;
  console.log(`${skipping}: skipped (${name} is not set)`);
  return null;
}

/** Runs `work` over 0..n-1, `width` at a time. */
export async function inParallel(n: number, width: number, work: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await work(next++);
    }),
  );
}
