/**
 * What `datapulse quarantine <pipeline> <partition>` shows: the partition's rejected rows (source
 * file, line, field, reason, raw value), its failed checks and ledger state, the pipeline's
 * unplaced rows for file sources, and how to re-run. Queries plus pure rendering.
 */
import type { Pool } from '../infra/db';
import { partitionWindow } from '../core/partition';
import type { PipelineDefinition } from '../core/pipeline';

export interface QuarantinedRow {
  readonly sourceFile: string;
  readonly lineNo: number;
  readonly field: string | null;
  readonly reason: string;
  readonly rawValue: string | null;
}

export interface UnplacedRow {
  readonly sourceFile: string;
  readonly lineNo: number;
  readonly reason: string;
}

export interface QuarantineReport {
  readonly pipeline: string;
  readonly partition: string;
  /** Quarantined rows of the partition (all of them; `rows` holds at most `limit`). */
  readonly total: number;
  readonly rows: readonly QuarantinedRow[];
  readonly limit: number;
  /** Ledger state of the partition, when it has run. */
  readonly ledger: { readonly status: string; readonly failedStep: string | null; readonly error: string | null } | null;
  /** Checks of the partition that failed (blocking or warning). */
  readonly failedChecks: readonly { readonly name: string; readonly severity: string; readonly message: string }[];
  /** File sources only: rows of the pipeline's landing files that no partition can own. */
  readonly unplaced: { readonly total: number; readonly rows: readonly UnplacedRow[] } | null;
  /** The command that re-runs the partition (and so replaces its quarantine rows). */
  readonly rerun: string;
}

/** @default 50 */
export const DEFAULT_QUARANTINE_LIMIT = 50;

/** Reads the report; throws InvalidPartitionKeyError for a bad key before any query. */
export async function quarantineReport(pool: Pool, def: PipelineDefinition, partition: string, opts: { limit?: number } = {}): Promise<QuarantineReport> {
  partitionWindow(def.partitioning.granularity, partition);
  const limit = Math.max(1, Math.floor(opts.limit ?? DEFAULT_QUARANTINE_LIMIT));
  const key = [def.name, partition];
  const [count, rows, ledger, checks] = await Promise.all([
    pool.query<{ n: number }>('SELECT count(*)::int AS n FROM quarantine WHERE pipeline = $1 AND partition_key = $2', key),
    pool.query<{ source_file: string; line_no: number; field: string | null; reason: string; raw_value: string | null }>(
      `SELECT source_file, line_no, field, reason, raw_value FROM quarantine WHERE pipeline = $1 AND partition_key = $2
        ORDER BY source_file, line_no LIMIT $3`,
      [...key, limit],
    ),
    pool.query<{ status: string; failed_step: string | null; error: string | null }>(
      'SELECT status, failed_step, error FROM ledger WHERE pipeline = $1 AND partition_key = $2',
      key,
    ),
    pool
      .query<{ name: string; severity: string; message: string }>(
        `SELECT check_name AS name, severity, message FROM check_results WHERE pipeline = $1 AND partition_key = $2 AND outcome = 'failed'
          ORDER BY severity, check_name`,
        key,
      )
      .catch((err: unknown) => {
        if ((err as { code?: string }).code === '42P01') return { rows: [] };
        throw err;
      }),
  ]);
  let unplaced: QuarantineReport['unplaced'] = null;
  if (def.source.kind === 'csv-files') {
    const [n, u] = await Promise.all([
      pool.query<{ n: number }>('SELECT count(*)::int AS n FROM unplaced_records WHERE pipeline = $1', [def.name]),
      pool.query<{ source_file: string; line_no: number; reason: string }>(
        'SELECT source_file, line_no, reason FROM unplaced_records WHERE pipeline = $1 ORDER BY source_file, line_no LIMIT $2',
        [def.name, limit],
      ),
    ]);
    unplaced = { total: n.rows[0]?.n ?? 0, rows: u.rows.map((r) => ({ sourceFile: r.source_file, lineNo: r.line_no, reason: r.reason })) };
  }
  const l = ledger.rows[0];
  return {
    pipeline: def.name,
    partition,
    total: count.rows[0]?.n ?? 0,
    rows: rows.rows.map((r) => ({ sourceFile: r.source_file, lineNo: r.line_no, field: r.field, reason: r.reason, rawValue: r.raw_value })),
    limit,
    ledger: l ? { status: l.status, failedStep: l.failed_step, error: l.error } : null,
    failedChecks: checks.rows,
    unplaced,
    rerun: `datapulse run ${def.name} ${partition}`,
  };
}

function cell(s: string, width: number): string {
  const flat = s.replace(/\s+/g, ' ');
  const cut = flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
  return cut.padEnd(width);
}

function shownValue(v: string | null): string {
  return v === null ? '(none)' : JSON.stringify(v);
}

/** The report for a terminal: bounded width per column, the count, and what to do next. */
export function renderQuarantine(r: QuarantineReport): string {
  const lines: string[] = [];
  const state = r.ledger
    ? `ledger: ${r.ledger.status}${r.ledger.failedStep ? ` in ${r.ledger.failedStep}` : ''}${r.ledger.error ? ` — ${r.ledger.error.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`
    : 'ledger: never run';
  lines.push(`${r.pipeline} ${r.partition}: ${r.total} quarantined row${r.total === 1 ? '' : 's'}${r.total > r.rows.length ? ` (first ${r.rows.length}; --limit N for more, --json for all fields)` : ''}`);
  lines.push(`  ${state}`);
  if (r.rows.length > 0) {
    const srcW = Math.min(40, Math.max(6, ...r.rows.map((x) => x.sourceFile.length)));
    const fieldW = Math.min(24, Math.max(5, ...r.rows.map((x) => (x.field ?? '(row)').length)));
    lines.push('');
    lines.push(`  ${cell('source', srcW)}  ${'line'.padStart(6)}  ${cell('field', fieldW)}  ${cell('raw value', 24)}  reason`);
    for (const x of r.rows) {
      lines.push(`  ${cell(x.sourceFile, srcW)}  ${String(x.lineNo).padStart(6)}  ${cell(x.field ?? '(row)', fieldW)}  ${cell(shownValue(x.rawValue), 24)}  ${x.reason.replace(/\s+/g, ' ').slice(0, 200)}`);
    }
  }
  if (r.failedChecks.length > 0) {
    lines.push('', `failed checks: ${r.failedChecks.length}`);
    for (const c of r.failedChecks) lines.push(`  check ${c.name} (${c.severity}) failed: ${c.message}`);
  }
  if (r.unplaced && r.unplaced.total > 0) {
    lines.push('', `unplaced rows of ${r.pipeline} (no partition can own them: their time column is unreadable): ${r.unplaced.total}${r.unplaced.total > r.unplaced.rows.length ? ` (first ${r.unplaced.rows.length})` : ''}`);
    for (const u of r.unplaced.rows) lines.push(`  ${u.sourceFile}:${u.lineNo}  ${u.reason.replace(/\s+/g, ' ').slice(0, 200)}`);
  }
  lines.push('');
  lines.push(`next: fix the source (or the schema), then re-run: ${r.rerun}`);
  lines.push('      (a re-run replaces this partition\'s quarantine rows with the ones it rejects)');
  return `${lines.join('\n')}\n`;
}
