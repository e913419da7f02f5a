// Summary statistics of repeated measurements: median and range, the only figures the page shows.

export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Median and range of the finite values (a run that produced no figure is NaN and left out). */
export function summarize(all: readonly number[]): Summary {
  const values = all.filter(Number.isFinite);
  if (values.length === 0) return { n: 0, median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[middle] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return { n: sorted.length, median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}

export function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
