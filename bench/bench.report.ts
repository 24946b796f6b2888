/**
 * How every benchmark reports: a table of figure | target | pass/fail, the context it ran
 * in (machine, store, sizes), and optionally the same as JSON (`--json FILE`). A benchmark
 * never fails on a missed target: it prints it; exit codes are for errors only.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export type Target =
  | { readonly atMost: number; readonly label?: string }
  | { readonly atLeast: number; readonly label?: string }
  | null;

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target: Target;
  readonly note?: string;
}

export class BenchReport {
  private readonly figures: Figure[] = [];
  private readonly context: Record<string, string | number> = {};
  private readonly started = Date.now();

  constructor(readonly title: string) {
    this.note('machine', `${cpus().length} cores, ${formatBytes(totalmem())} RAM`);
    this.note('node', process.version);
  }

  note(key: string, value: string | number): void {
    this.context[key] = value;
  }

  add(figure: Figure): void {
    this.figures.push(figure);
    console.log(`  ${figure.name}: ${formatValue(figure.value, figure.unit)}`);
  }

  print(): void {
    const rows = this.figures.map((figure) => [
      figure.name,
      formatValue(figure.value, figure.unit),
      describeTarget(figure),
      verdict(figure),
      figure.note ?? '',
    ]);
    const header = ['figure', 'value', 'target', 'result', 'note'];
    const widths = header.map((title, column) =>
      Math.max(title.length, ...rows.map((row) => row[column]!.length)),
    );
    const line = (cells: string[]) =>
      `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
    console.log(`\n${this.title}`);
    for (const [key, value] of Object.entries(this.context)) console.log(`  ${key}: ${value}`);
    console.log(line(header));
    console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
    for (const row of rows) console.log(line(row));
    console.log(`  (benchmark ran ${((Date.now() - this.started) / 1000).toFixed(0)} s)\n`);
  }

  writeJson(file: string | null): void {
    if (file === null) return;
    const json = {
      title: this.title,
      at: new Date().toISOString(),
      context: this.context,
      durationSeconds: (Date.now() - this.started) / 1000,
      figures: this.figures.map((figure) => ({ ...figure, result: verdict(figure) })),
    };
    writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`results written to ${file}`);
  }
}

function verdict(figure: Figure): 'pass' | 'FAIL' | '-' {
  const { target } = figure;
  if (target === null || !Number.isFinite(figure.value)) return target === null ? '-' : 'FAIL';
  return 'atMost' in target
    ? figure.value <= target.atMost
      ? 'pass'
      : 'FAIL'
    : figure.value >= target.atLeast
      ? 'pass'
      : 'FAIL';
}

function describeTarget(figure: Figure): string {
  const { target } = figure;
  if (target === null) return '-';
  const bound =
    'atMost' in target
      ? `< ${formatValue(target.atMost, figure.unit)}`
      : `≥ ${formatValue(target.atLeast, figure.unit)}`;
  return target.label === undefined ? bound : `${bound} (${target.label})`;
}

export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  switch (unit) {
    case 'ms':
      return `${value.toFixed(value < 10 ? 1 : 0)} ms`;
    case 's':
      return `${value.toFixed(value < 10 ? 2 : 1)} s`;
    case 'events/s':
      return `${Math.round(value).toLocaleString('en-US')} events/s`;
    case 'bytes':
      return formatBytes(value);
    default:
      return `${Math.round(value * 100) / 100} ${unit}`.trim();
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  return `${Math.round(bytes / 1024 ** 2)} MB`;
}

/** The q-quantile (0..1) of `values` by linear interpolation; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = (sorted.length - 1) * q;
  const low = Math.floor(index);
  const high = Math.ceil(index);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (index - low);
}

/** The process's CPU (every thread: the engine's too) and the wall time of one piece of work. */
export interface Timing {
  readonly cpuMs: number;
  readonly wallMs: number;
}

/** Runs `work` and returns the CPU and wall time it took (timings of in-process benches). */
export async function timed(work: () => Promise<unknown>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - started };
}

/** Adds the median, p95 and max of `latencies` (ms) as `<prefix> median` etc. against `target`. */
export function addLatencyFigures(
  report: BenchReport,
  prefix: string,
  latencies: readonly number[],
  target: Target,
): void {
  for (const [label, q] of [
    ['median', 0.5],
    ['p95', 0.95],
    ['max', 1],
  ] as const) {
    report.add({ name: `${prefix} ${label}`, value: quantile(latencies, q), unit: 'ms', target });
  }
}
