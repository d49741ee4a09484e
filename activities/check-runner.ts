/**
 * Measures a pipeline's data quality checks on one partition (SQL over its staged rows — typed, in
 * the target's columns, before load — and the ledger) and stores the results in one transaction (validate clears the previous ones).
 * Judging a measurement is pure and lives in core/checks.ts.
 *
 * Custom SQL and reference checks run inside a savepoint: one whose SQL fails (bad custom query,
 * missing reference table) becomes a failed result naming the error instead of aborting the others.
 * Custom SQL checks are always rolled back to their savepoint, so they cannot change data.
 */
import type { PoolClient, Pool } from '../infra/db';
import { withTransaction } from '../infra/db';
import {
  CheckKind,
  evaluateAcceptedValues,
  evaluateNotNull,
  evaluateRange,
  evaluateReferences,
  evaluateSql,
  evaluateUnique,
  evaluateVolume,
  queryFailed,
  type Check,
  type CheckResult,
} from '../core/checks';
import type { SqlType } from '../core/pipeline';
import { ident } from '../core/sql';

export interface CheckRunInput {
  readonly pipeline: string;
  readonly partition: string;
  /** Valid rows of the partition (what volume compares). */
  readonly rowsValid: number;
  /** The partition's staging table, quoted (activities/intermediates.ts): the rows as they will load. */
  readonly staging: string;
  /** The target's column types: checks name target columns (validated when the pipeline is defined). */
  readonly columns: Readonly<Record<string, SqlType>>;
  /** The pipeline's params: custom SQL checks bind the scalar ones as `:param_<name>`. @default {} */
  readonly params?: Readonly<Record<string, unknown>>;
}

/** Name of the temporary view custom SQL checks read: the partition's rows in the target's columns. */
export const PARTITION_ROWS_VIEW = 'partition_rows';

async function one<T>(client: PoolClient, text: string, values: unknown[]): Promise<T> {
  const { rows } = await client.query(text, values);
  return rows[0] as T;
}

async function measure(client: PoolClient, c: Check, input: CheckRunInput): Promise<CheckResult> {
  const from = `FROM ${input.staging}`;
  switch (c.kind) {
    case CheckKind.NOT_NULL: {
      const col = ident(c.column, 'column');
      const m = await one<{ rows: number; non_null: number }>(client, `SELECT count(*)::int AS rows, count(${col})::int AS non_null ${from}`, []);
      return evaluateNotNull(c, { rows: m.rows, nonNull: m.non_null });
    }
    case CheckKind.UNIQUE: {
      const cols = c.columns.map((col) => ident(col, 'column')).join(', ');
      // First the cheap question (a sort of 64-bit hashes, not a hash table of the keys): equal keys
      // have equal hashes, so no repeated hash means no repeated key. Only then group the keys.
      const pre = await one<{ rows: number; repeated_hashes: number }>(
        client,
        `SELECT count(*)::int AS rows, (count(*) - count(DISTINCT hash_record_extended(ROW(${cols}), 0)))::int AS repeated_hashes ${from}`,
        [],
      );
      if (pre.repeated_hashes === 0) return evaluateUnique(c, { rows: pre.rows, duplicateRows: 0, duplicateKeys: 0 });
      const m = await one<{ rows: number; duplicate_rows: number; duplicate_keys: number }>(
        client,
        `SELECT coalesce(sum(n), 0)::int AS rows, coalesce(sum(n - 1), 0)::int AS duplicate_rows, count(*) FILTER (WHERE n > 1)::int AS duplicate_keys
           FROM (SELECT count(*) AS n ${from} GROUP BY ${cols}) g`,
        [],
      );
      return evaluateUnique(c, { rows: m.rows, duplicateRows: m.duplicate_rows, duplicateKeys: m.duplicate_keys });
    }
    case CheckKind.ACCEPTED_VALUES: {
      // Compared as JSON values, so 1 and "1" are different and booleans stay booleans; each distinct
      // value is converted and compared once (a column of a few values over a million rows).
      const col = ident(c.column, 'column');
      const m = await one<{ rows: number; outside: number; distinct_outside: number }>(
        client,
        `SELECT coalesce(sum(n), 0)::int AS rows,
                coalesce(sum(n) FILTER (WHERE v IS NOT NULL AND NOT (v = ANY (SELECT jsonb_array_elements($1::jsonb)))), 0)::int AS outside,
                count(DISTINCT v) FILTER (WHERE v IS NOT NULL AND NOT (v = ANY (SELECT jsonb_array_elements($1::jsonb))))::int AS distinct_outside
           FROM (SELECT to_jsonb(${col}) AS v, n FROM (SELECT ${col}, count(*) AS n ${from} GROUP BY ${col}) g) s`,
        [JSON.stringify(c.values)],
      );
      return evaluateAcceptedValues(c, { rows: m.rows, outside: m.outside, distinctOutside: m.distinct_outside });
    }
    case CheckKind.RANGE: {
      const col = ident(c.column, 'column');
      const m = await one<{ rows: number; below: number; above: number; min: number | null; max: number | null }>(
        client,
        `SELECT count(*)::int AS rows,
                count(*) FILTER (WHERE ${col}::float8 < $1::float8)::int AS below,
                count(*) FILTER (WHERE ${col}::float8 > $2::float8)::int AS above,
                min(${col})::float8 AS min, max(${col})::float8 AS max
           ${from}`,
        [c.min ?? null, c.max ?? null],
      );
      return evaluateRange(c, { rows: m.rows, below: m.below, above: m.above, notNumeric: 0, min: m.min, max: m.max });
    }
    case CheckKind.REFERENCES: {
      const col = ident(c.column, 'column');
      const m = await one<{ rows: number; missing: number; distinct_missing: number }>(
        client,
        `SELECT count(*)::int AS rows,
                count(*) FILTER (WHERE NOT found)::int AS missing,
                count(DISTINCT v) FILTER (WHERE NOT found)::int AS distinct_missing
           FROM (SELECT s.${col}::text AS v,
                        EXISTS (SELECT 1 FROM ${ident(c.table, 'table')} r WHERE r.${ident(c.refColumn, 'column')}::text = s.${col}::text) AS found
                   ${from} s WHERE s.${col} IS NOT NULL) x`,
        [],
      );
      return evaluateReferences(c, { rows: m.rows, missing: m.missing, distinctMissing: m.distinct_missing });
    }
    case CheckKind.VOLUME: {
      const { rows } = await client.query<{ rows_valid: number }>(
        `SELECT rows_valid FROM ledger
          WHERE pipeline = $1 AND partition_key < $2 AND status = 'succeeded' AND rows_valid IS NOT NULL
          ORDER BY partition_key DESC LIMIT $3`,
        [input.pipeline, input.partition, c.lookback],
      );
      return evaluateVolume(c, { rows: input.rowsValid, history: rows.map((r) => r.rows_valid) });
    }
    case CheckKind.SQL: {
      // Bind exactly the parameters the query uses ($1 partition, $2 pipeline): PostgreSQL rejects extra ones.
      const used = Math.max(0, ...[...c.query.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
      const values: unknown[] = [input.partition, input.pipeline].slice(0, used);
      const positions = new Map<string, string>();
      const params = input.params ?? {};
      const text = c.query.replace(/(?<![:\w]):param_([a-z_][a-z0-9_]*)/g, (_, name: string) => {
        const v = params[name];
        if (v === undefined || (v !== null && typeof v === 'object')) throw Object.assign(new Error(`sql check ${c.name} uses :param_${name}, which is not a scalar param of the pipeline`), { code: '42P02' });
        let p = positions.get(name);
        if (!p) {
          values.push(v);
          positions.set(name, (p = `$${values.length}`));
        }
        return p;
      });
      const { rows } = await client.query<Record<string, unknown>>(text, values);
      return evaluateSql(c, rows);
    }
  }
}

/** A PostgreSQL error about the query itself (it has a SQLSTATE), as opposed to a lost connection. */
function isQueryError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown }).code;
  if (!(err instanceof Error) || typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return false;
  // 08xxx connection and 57xxx operator-intervention errors are transient; 08P01 (bad bind) is the query's fault.
  return code === '08P01' || !(code.startsWith('08') || code.startsWith('57'));
}

/**
 * Runs every check of the partition and stores one row per check in `check_results` (validate
 * clears the partition's previous results in the transaction that replaces its staging rows). Returns the results
 * in declaration order. Connection failures throw (the activity retries); query errors become
 * failed results.
 */
export async function runChecks(pool: Pool, checks: readonly Check[], input: CheckRunInput, heartbeat: () => void = () => undefined): Promise<CheckResult[]> {
  // Heartbeat between checks and every 20 s while a long check query runs.
  const timer = setInterval(heartbeat, 20_000);
  try {
    return await runInTransaction(pool, checks, input, heartbeat);
  } finally {
    clearInterval(timer);
  }
}

async function runInTransaction(pool: Pool, checks: readonly Check[], input: CheckRunInput, heartbeat: () => void): Promise<CheckResult[]> {
  return withTransaction(pool, async (client) => {
    const results: CheckResult[] = [];
    // Custom SQL checks read the partition's rows through a view that lives only in this transaction.
    // Built-in checks read staging directly: without a custom check, no DDL per partition.
    const needsView = checks.some((c) => c.kind === CheckKind.SQL);
    const cols = Object.keys(input.columns).map((col) => ident(col, 'column'));
    if (needsView) await client.query(`CREATE TEMPORARY VIEW ${PARTITION_ROWS_VIEW} AS SELECT ${cols.join(', ')} FROM ${input.staging}`);
    for (const c of checks) {
      heartbeat();
      // Only checks running someone else's SQL (custom queries, reference tables) can fail on their
      // query: they get a savepoint. Built-in checks are our own SQL over staging, and skipping two
      // round trips each matters for many small partitions.
      const guarded = c.kind === CheckKind.SQL || c.kind === CheckKind.REFERENCES;
      if (!guarded) {
        results.push(await measure(client, c, input));
        continue;
      }
      await client.query('SAVEPOINT dp_check');
      let r: CheckResult;
      try {
        r = await measure(client, c, input);
      } catch (err) {
        await client.query('ROLLBACK TO SAVEPOINT dp_check');
        if (!isQueryError(err)) throw err;
        results.push(queryFailed(c, err));
        continue;
      }
      // A custom query must not change anything: undo whatever it did.
      await client.query(c.kind === CheckKind.SQL ? 'ROLLBACK TO SAVEPOINT dp_check' : 'RELEASE SAVEPOINT dp_check');
      results.push(r);
    }
    if (needsView) await client.query(`DROP VIEW ${PARTITION_ROWS_VIEW}`);
    if (results.length > 0) {
      await client.query(
        `INSERT INTO check_results (pipeline, partition_key, check_name, check_kind, severity, outcome, value, threshold, message)
         SELECT $1, $2, r.name, r.kind, r.severity, r.outcome, r.value, r.threshold, r.message
           FROM jsonb_to_recordset($3::jsonb) AS r(name text, kind text, severity text, outcome text, value float8, threshold text, message text)`,
        [input.pipeline, input.partition, JSON.stringify(results)],
      );
    }
    return results;
  });
}
