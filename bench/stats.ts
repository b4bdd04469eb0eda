// Percentiles, medians and the rows every figure reports, so run.ts can print one table and write RESULTS.md.

/** One line of the results table: a figure's measurement beside the baseline it is compared with. */
export interface Row {
  figure: string;
  what: string;
  value: string;
  baseline: string;
  /** value ÷ baseline, when a ratio means something. */
  ratio?: number;
  goal: string;
  /** undefined: no goal for this line (a baseline or a detail). */
  met?: boolean;
}

/** Nearest-rank percentile of unsorted samples (q in 0..1). */
export function percentile(samples: number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const median = (samples: number[]) => percentile(samples, 0.5);

/** Milliseconds with two decimals, e.g. "0.83 ms". */
export const ms = (value: number) => `${value.toFixed(2)} ms`;

/** Wall clock with sub-millisecond resolution, comparable across processes on this machine (epoch ms). */
export const preciseNow = () => performance.timeOrigin + performance.now();

export function latencySummary(samples: number[]): string {
  return `p50 ${ms(percentile(samples, 0.5))}, p95 ${ms(percentile(samples, 0.95))}, p99 ${ms(percentile(samples, 0.99))} (n=${samples.length})`;
}

/** The table as Markdown: what the console shows and what RESULTS.md holds. */
export function renderTable(rows: Row[]): string {
  const head = '| fig | measurement | value | baseline (same run) | ratio | goal | met |\n|---|---|---|---|---|---|---|';
  const lines = rows.map((row) => {
    const ratio = row.ratio === undefined || !Number.isFinite(row.ratio) ? '' : `${row.ratio.toFixed(2)}×`;
    const met = row.met === undefined ? '' : row.met ? 'yes' : '**no**';
    return `| ${row.figure} | ${row.what} | ${row.value} | ${row.baseline} | ${ratio} | ${row.goal} | ${met} |`;
  });
  return [head, ...lines].join('\n');
}
