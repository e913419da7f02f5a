// How the page writes figures, tables and labels: shared by every scenario's section.
import { adapterById } from '../adapters/index.js';
import type { Summary } from '../lib/stats.js';
import type { Bar, Who } from './charts.js';
import type { BenchRun, RowBase } from './model.js';

export function who(adapterId: string): Who {
  if (adapterById(adapterId).lastcall) return 'lastcall';
  return adapterId === 'node-close' ? 'baseline' : 'peer';
}

/** Milliseconds with as many decimals as their size deserves. */
export function fmt(value: number, unit = ''): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${unit}`;
}

export function range(summary: Summary, unit = ''): string {
  if (summary.n === 0) return 'n/a';
  return `${fmt(summary.min, unit)} to ${fmt(summary.max, unit)}`;
}

/** A markdown table, its columns padded to equal width (the repository's formatter wants them so). */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const escapeCell = (cell: string): string => cell.replaceAll('|', '\\|');
  const body = [header, ...rows].map((cells) => cells.map(escapeCell));
  const widths = header.map((_, column) => Math.max(3, ...body.map((cells) => (cells[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${widths.map((width, column) => (cells[column] ?? '').padEnd(width)).join(' | ')} |`;
  const [head, ...rest] = body;
  return [line(head ?? []), line(widths.map((width) => '-'.repeat(width))), ...rest.map(line)].join('\n');
}

/** The label cell: lastcall's rows in bold, and the version measured. */
export function libraryCell(row: RowBase, run: BenchRun): string {
  const adapter = adapterById(row.adapter);
  const version = adapter.pkg ? ` ${run.versions[adapter.pkg] ?? ''}` : '';
  const label = `${row.label}${adapter.pkg && adapter.pkg !== '@lastcall/core' ? version : ''}`;
  return adapter.lastcall ? `**${label}**` : label;
}

export function errorNote(row: RowBase): string {
  return row.error ? ` (child failed: ${row.error})` : '';
}

export function bar(row: RowBase, value: Summary, label = row.label): Bar {
  return { label, who: who(row.adapter), value };
}

/** A plan setting as the page states it: one figure, or lastcall's and the peers' when they differ. */
export function setting(run: BenchRun, scenario: string, key: string, unit = ''): string {
  const own = (run.plan[scenario] as Record<string, unknown> | undefined)?.[key];
  const peer = (run.peerPlan[scenario] as Record<string, unknown> | undefined)?.[key] ?? own;
  const show = (value: unknown): string =>
    typeof value === 'number' && unit === 's' ? `${value / 1000} s` : String(value);
  return own === peer ? show(own) : `${show(own)} for lastcall's rows, ${show(peer)} for each peer`;
}

/** Said of a figure this small when it misses: the machine moves it. */
export const TIMING_NOISE =
  'A figure this small moves with the machine: on a shared 2-core machine another process can hold the CPU for a millisecond or more. Rerun on a quiet machine before reading it as a regression.';

/** Target figures as the checks print them. */
export const ms = (value: number): string => `${value.toFixed(2)} ms`;
export const x = (value: number): string => `${value.toFixed(3)}x`;

/** Failures by cause, `cause n` joined; empty when there is none (the restart scenarios' notes). */
export function causesNote(causes: Readonly<Record<string, number>>, prefix = '; causes: '): string {
  const list = Object.entries(causes).map(([cause, count]) => `${cause} ${count}`);
  return list.length === 0 ? '' : `${prefix}${list.join(', ')}`;
}

/** Exit codes (or signal names) counted, as `code xN`; `-` when there is none. */
export function exitsNote(exits: Readonly<Record<string, number>>): string {
  return (
    Object.entries(exits)
      .map(([code, count]) => `${code} x${count}`)
      .join(', ') || '-'
  );
}

/** A row's first cells: the library (with a failed child's note), its runs, its main figure's median and range. */
export function figureCells(row: RowBase, run: BenchRun, figure: Summary, unit = ''): string[] {
  return [libraryCell(row, run) + errorNote(row), String(row.runs), fmt(figure.median, unit), range(figure, unit)];
}
