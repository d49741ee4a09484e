/**
 * The four steps of a partition — ingest, validate, transform, load — plus the failure record.
 * Built by a factory over their dependencies so tests hand in a pool on their own schema.
 *
 * Every step replaces the partition's rows in its output table inside one transaction, so a retried
 * or replayed step leaves the same rows as one clean run. Only small summaries cross Temporal.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { copyRows, partitionRows, withTransaction, type Pool, type PoolClient } from '../infra/db';
import type { Config } from '../infra/config';
import { canonicalJson, codeVersion, paramsHash } from '../infra/fingerprint';
import type { Logger } from '../infra/logger';
import { InvalidPartitionKeyError, keyToStartMs, partitionWindow, type PartitionWindow } from '../core/partition';
import type { PipelineDefinition, SourceRecord } from '../core/pipeline';
import { UnknownPipelineError, type Registry } from '../core/registry';
import { ident } from '../core/sql';
import { blockingFailureMessage, isBlockingFailure, isWarning } from '../core/checks';
import { runChecks } from './check-runner';
import { FailureType, nonRetryable } from './errors';
import { readCsvFiles, ROW_ERROR_FIELD } from './sources/csv-files';
import { readHttpJson } from './sources/http-json';
import { readDerived, recordConsumedInputs } from './sources/derived';
import { ensureTargetTable, PARTITION_COLUMN } from './target';
import type { FailureInput, IngestInput, IngestResult, LoadInput, LoadResult, PartitionRef, TransformResult, ValidateResult } from './types';

export interface ActivityDeps {
  readonly pool: Pool;
  readonly registry: Registry;
  readonly config: Pick<Config, 'landingDir'>;
  readonly logger: Logger;
  /** Environment the sources read their settings from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

const BATCH = 2000;

export function createPartitionActivities(deps: ActivityDeps) {
  const { pool, registry } = deps;
  const env = deps.env ?? process.env;
  const ensured = new Set<string>();

  function resolve(ref: PartitionRef): { def: PipelineDefinition; window: PartitionWindow } {
    let def: PipelineDefinition;
    try {
      def = registry.get(ref.pipeline);
    } catch (err) {
      if (err instanceof UnknownPipelineError) throw nonRetryable(FailureType.UNKNOWN_PIPELINE, err.message);
      throw err;
    }
    try {
      return { def, window: partitionWindow(def.partitioning.granularity, ref.partition) };
    } catch (err) {
      if (err instanceof InvalidPartitionKeyError) throw nonRetryable(FailureType.INVALID_PARTITION, err.message);
      throw err;
    }
  }

  function ctx() {
    // Outside an activity (direct calls in tests) there is no context.
    try {
      return Context.current();
    } catch {
      return undefined;
    }
  }

  function log(step: string, ref: PartitionRef): Logger {
    const c = ctx();
    return deps.logger.child({
      activity: step,
      pipeline: ref.pipeline,
      partition: ref.partition,
      workflowId: c?.info.workflowExecution?.workflowId,
      runId: c?.info.workflowExecution?.runId,
      attempt: c?.info.attempt,
    });
  }

  async function ensureTarget(def: PipelineDefinition): Promise<void> {
    if (ensured.has(def.name)) return;
    await ensureTargetTable(pool, def);
    ensured.add(def.name);
  }

  function readSource(def: PipelineDefinition, window: PartitionWindow, unplaced: UnplacedRow[]): AsyncIterable<SourceRecord> {
    const c = ctx();
    const heartbeat = (d?: unknown) => (c && !c.info.isLocal ? c.heartbeat(d) : undefined);
    const signal = c?.cancellationSignal ?? new AbortController().signal;
    if (def.source.kind === 'http-json') return readHttpJson(def.source, window, def.params, { env, signal, heartbeat });
    if (def.source.kind === 'derived') {
      const ref = { pipeline: def.name, partition: window.key, consumedRunId: c?.info.workflowExecution?.runId ?? null };
      return readDerived(def, window, def.params, { pool, registry, heartbeat, onConsumed: (consumed) => withTransaction(pool, (cl) => recordConsumedInputs(cl, ref, consumed)) });
    }
    return readCsvFiles(def.source, window, {
      folder: path.join(deps.config.landingDir, def.name),
      heartbeat,
      onUnplaced: (row) => unplaced.push(row),
      firstPartitionStartMs: keyToStartMs(def.partitioning.granularity, def.partitioning.start),
    });
  }

  /** Reads exactly the partition's slice of the source into raw_records, replacing what was there. */
  async function ingest(ref: IngestInput): Promise<IngestResult> {
    const { def, window } = resolve(ref);
    const logger = log('ingest', ref);
    const started = Date.now();
    const c = ctx();
    const markRunning = () =>
      pool.query(
        `INSERT INTO ledger (pipeline, partition_key, status, workflow_id, run_id, started_at, updated_at)
         VALUES ($1, $2, 'running', $3, $4, now(), now())
         ON CONFLICT (pipeline, partition_key) DO UPDATE SET
           status = 'running', workflow_id = EXCLUDED.workflow_id, run_id = EXCLUDED.run_id,
           started_at = CASE WHEN ledger.run_id IS NOT DISTINCT FROM EXCLUDED.run_id AND ledger.status = 'running'
                             THEN ledger.started_at ELSE now() END,
           finished_at = NULL, updated_at = now()`,
        [ref.pipeline, ref.partition, c?.info.workflowExecution?.workflowId ?? null, c?.info.workflowExecution?.runId ?? null],
      );
    const previous = ref.ifChanged
      ? (
          await pool.query<LedgerRow>(
            `SELECT status, source_checksum, params_hash, code_version, rows_in, rows_valid, rows_quarantined, rows_deduplicated, rows_loaded, duration_ms
               FROM ledger WHERE pipeline = $1 AND partition_key = $2`,
            [ref.pipeline, ref.partition],
          )
        ).rows[0]
      : undefined;
    if (!ref.ifChanged) await markRunning();
    const hash = createHash('sha256');
    const unplaced: UnplacedRow[] = [];
    const rowsIn = await withTransaction(pool, async (client) => {
      await client.query('DELETE FROM raw_records WHERE pipeline = $1 AND partition_key = $2', [ref.pipeline, ref.partition]);
      const rows = mapAsync(readSource(def, window, unplaced), (r) => {
        const json = canonicalJson(r.record);
        hash.update(`${r.sourceFile}\t${r.lineNo}\t${json}\n`);
        return [ref.pipeline, ref.partition, r.sourceFile, r.lineNo, json];
      });
      return copyRows(client, 'raw_records', ['pipeline', 'partition_key', 'source_file', 'line_no', 'record'], rows);
    });
    if (unplaced.length > 0) await recordUnplaced(def.name, unplaced);
    const sourceChecksum = hash.digest('hex');
    if (
      previous &&
      previous.status === 'succeeded' &&
      previous.source_checksum === sourceChecksum &&
      previous.params_hash === paramsHash(def) &&
      previous.code_version === codeVersion(def)
    ) {
      logger.info({ rowsIn }, 'source unchanged since the last successful run; nothing to do');
      return {
        rowsIn,
        sourceChecksum,
        unplaced: unplaced.length,
        unchanged: {
          rowsIn: previous.rows_in ?? 0,
          rowsValid: previous.rows_valid ?? 0,
          rowsQuarantined: previous.rows_quarantined ?? 0,
          rowsDeduplicated: previous.rows_deduplicated ?? 0,
          rowsLoaded: previous.rows_loaded ?? 0,
          table: def.target.table,
          durationMs: previous.duration_ms ?? 0,
        },
      };
    }
    if (ref.ifChanged) await markRunning();
    const result: IngestResult = { rowsIn, sourceChecksum, unplaced: unplaced.length };
    logger.info({ rowsIn, unplaced: unplaced.length, ms: Date.now() - started }, 'ingested');
    return result;
  }

  async function recordUnplaced(pipeline: string, rows: UnplacedRow[]): Promise<void> {
    await withTransaction(pool, async (client) => {
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500);
        await client.query(
          `INSERT INTO unplaced_records (pipeline, source_file, line_no, reason, record)
           SELECT $1, u.source_file, u.line_no, u.reason, u.record
             FROM jsonb_to_recordset($2::jsonb) AS u(source_file text, line_no int, reason text, record jsonb)
           ON CONFLICT (pipeline, source_file, line_no) DO UPDATE SET reason = EXCLUDED.reason, record = EXCLUDED.record, seen_at = now()`,
          [pipeline, JSON.stringify(chunk.map((r) => ({ source_file: r.sourceFile, line_no: r.lineNo, reason: r.reason, record: r.record })))],
        );
      }
    });
  }

  /** Parses raw rows with the pipeline's schema: valid rows to staging, the rest to quarantine. */
  async function validate(ref: PartitionRef): Promise<ValidateResult> {
    const { def } = resolve(ref);
    const logger = log('validate', ref);
    const c = ctx();
    const counts = await withTransaction(pool, async (client) => {
      const key = [ref.pipeline, ref.partition];
      await client.query('DELETE FROM staging_records WHERE pipeline = $1 AND partition_key = $2', key);
      await client.query('DELETE FROM quarantine WHERE pipeline = $1 AND partition_key = $2', key);
      // A previous run's check results must not outlive its rows (they are written again below).
      await client.query('DELETE FROM check_results WHERE pipeline = $1 AND partition_key = $2', key);
      let valid = 0;
      let rejected = 0;
      let good: unknown[][] = [];
      let bad: unknown[][] = [];
      const flush = async (cl: PoolClient) => {
        if (good.length) valid += await copyRows(cl, 'staging_records', ['pipeline', 'partition_key', 'source_file', 'line_no', 'record'], good);
        if (bad.length) {
          rejected += await copyRows(
            cl,
            'quarantine',
            ['pipeline', 'partition_key', 'source_file', 'line_no', 'field', 'reason', 'raw_value', 'record'],
            bad,
          );
        }
        good = [];
        bad = [];
        if (c && !c.info.isLocal) c.heartbeat({ valid, rejected });
      };
      const raw = partitionRows<{ source_file: string; line_no: number; record: Record<string, unknown> }>(
        client,
        'raw_records',
        'source_file, line_no, record',
        ref.pipeline,
        ref.partition,
        BATCH,
      );
      for await (const row of raw) {
        const verdict = checkRow(def, row.record);
        if (verdict.ok) good.push([ref.pipeline, ref.partition, row.source_file, row.line_no, JSON.stringify(verdict.value)]);
        else bad.push([ref.pipeline, ref.partition, row.source_file, row.line_no, verdict.field, verdict.reason, verdict.rawValue, JSON.stringify(row.record)]);
        if (good.length + bad.length >= BATCH) await flush(client);
      }
      await flush(client);
      return { rowsValid: valid, rowsQuarantined: rejected };
    });
    const total = counts.rowsValid + counts.rowsQuarantined;
    const maxRatio = def.maxRejectedRatio ?? 0.5;
    logger.info(counts, 'validated');
    if (total > 0 && counts.rowsQuarantined / total > maxRatio) {
      const top = await pool.query<{ field: string | null; reason: string; n: string }>(
        `SELECT field, min(reason) AS reason, count(*) AS n FROM quarantine WHERE pipeline = $1 AND partition_key = $2
          GROUP BY field ORDER BY count(*) DESC LIMIT 1`,
        [ref.pipeline, ref.partition],
      );
      const t = top.rows[0];
      throw nonRetryable(
        FailureType.REJECTED_RATIO,
        `${counts.rowsQuarantined} of ${total} rows rejected (${((100 * counts.rowsQuarantined) / total).toFixed(1)}% > ${(maxRatio * 100).toFixed(0)}% allowed); ` +
          `most common: ${t?.field ?? '(row)'} — ${t?.reason ?? '?'} (${t?.n ?? 0} rows). See: datapulse quarantine ${ref.pipeline} ${ref.partition}`,
      );
    }
    if (!def.checks?.length) return counts;
    const results = await runChecks(pool, def.checks, { ...ref, rowsValid: counts.rowsValid }, () => (c && !c.info.isLocal ? c.heartbeat() : undefined));
    logger.info({ checks: results.map((r) => `${r.name}:${r.outcome}`) }, 'checked');
    if (results.some(isBlockingFailure)) throw nonRetryable(FailureType.CHECK_FAILED, blockingFailureMessage(results));
    const warnings = results.filter(isWarning).map((r) => ({ check: r.name, kind: r.kind, message: r.message }));
    return warnings.length ? { ...counts, warnings } : counts;
  }

  /** Applies the pipeline's row transform and deduplicates on the target key (last row wins). */
  async function transform(ref: PartitionRef): Promise<TransformResult> {
    const { def } = resolve(ref);
    const logger = log('transform', ref);
    const key = [ref.pipeline, ref.partition];
    const result = await withTransaction(pool, async (client) => {
      await client.query('DELETE FROM transformed_records WHERE pipeline = $1 AND partition_key = $2', key);
      let seq = 0;
      let distinct = 0;
      // Rows sharing a target key: the last one (in source order) wins — within a batch through the
      // Map, across batches through ON CONFLICT DO UPDATE, since batches arrive in source order.
      let batch = new Map<string, Record<string, unknown>>();
      const flush = async () => {
        if (batch.size === 0) return;
        const ins = await client.query<{ inserted: boolean }>(
          `INSERT INTO transformed_records (pipeline, partition_key, row_key, record)
           SELECT $1, $2, t.row_key, t.record FROM jsonb_to_recordset($3::jsonb) AS t(row_key text, record jsonb)
           ON CONFLICT (pipeline, partition_key, row_key) DO UPDATE SET record = EXCLUDED.record
           RETURNING (xmax = 0) AS inserted`,
          [ref.pipeline, ref.partition, JSON.stringify([...batch].map(([row_key, record]) => ({ row_key, record })))],
        );
        distinct += ins.rows.filter((r) => r.inserted).length;
        batch = new Map();
      };
      const staged = partitionRows<{ source_file: string; line_no: number; record: Record<string, unknown> }>(
        client,
        'staging_records',
        'source_file, line_no, record',
        ref.pipeline,
        ref.partition,
        BATCH,
      );
      for await (const row of staged) {
        let out: Record<string, unknown>;
        try {
          out = def.transform(row.record, { partition: ref.partition, params: def.params });
        } catch (err) {
          throw nonRetryable(FailureType.TRANSFORM, `transform of ${row.source_file} line ${row.line_no} threw: ${(err as Error).message}`);
        }
        const missing = def.target.key.filter((k) => out[k] === null || out[k] === undefined);
        if (missing.length) {
          throw nonRetryable(FailureType.TRANSFORM, `transform of ${row.source_file} line ${row.line_no} left key column(s) ${missing.join(', ')} empty`);
        }
        seq++;
        const rowKey = canonicalJson(def.target.key.map((k) => out[k]));
        batch.delete(rowKey); // re-insert so the Map keeps source order of the last occurrence
        batch.set(rowKey, out);
        if (batch.size >= BATCH) await flush();
      }
      await flush();
      return { rowsTransformed: distinct, rowsDeduplicated: seq - distinct };
    });
    logger.info(result, 'transformed');
    return result;
  }

  /** Replaces the partition's rows in the target and writes its ledger row, in one transaction. */
  async function load(input: LoadInput): Promise<LoadResult> {
    const { def } = resolve(input);
    const logger = log('load', input);
    const c = ctx();
    const cols = Object.keys(def.target.columns).map((k) => ident(k, 'column'));
    const t = ident(def.target.table, 'table');
    // Heartbeat all along (the DDL and the transaction may wait on locks), so that a worker dying
    // mid-load is noticed within the heartbeat timeout rather than the start-to-close timeout.
    const stopHeartbeats = heartbeatEvery(c, LOAD_HEARTBEAT_MS);
    const result = await ensureTarget(def).then(() => withTransaction(pool, async (client) => {
      const key = [input.pipeline, input.partition];
      await client.query(`DELETE FROM ${t} WHERE ${PARTITION_COLUMN} = $1`, [input.partition]);
      const ins = await client.query(
        `INSERT INTO ${t} (${cols.join(', ')}, ${PARTITION_COLUMN})
         SELECT ${cols.map((col) => `r.${col}`).join(', ')}, $2
           FROM transformed_records tr, jsonb_populate_record(NULL::${t}, tr.record) AS r
          WHERE tr.pipeline = $1 AND tr.partition_key = $2`,
        key,
      );
      const rowsLoaded = ins.rowCount ?? 0;
      const n = await client.query<{ rows_in: number; valid: number; quarantined: number; transformed: number }>(
        `SELECT (SELECT count(*) FROM raw_records WHERE pipeline = $1 AND partition_key = $2)::int AS rows_in,
                (SELECT count(*) FROM staging_records WHERE pipeline = $1 AND partition_key = $2)::int AS valid,
                (SELECT count(*) FROM quarantine WHERE pipeline = $1 AND partition_key = $2)::int AS quarantined,
                (SELECT count(*) FROM transformed_records WHERE pipeline = $1 AND partition_key = $2)::int AS transformed`,
        key,
      );
      const counts = n.rows[0]!;
      const rowsDeduplicated = counts.valid - counts.transformed;
      if (counts.rows_in !== counts.valid + counts.quarantined || counts.valid !== rowsLoaded + rowsDeduplicated) {
        throw nonRetryable(
          FailureType.COUNT_MISMATCH,
          `counts do not add up: in ${counts.rows_in}, valid ${counts.valid}, quarantined ${counts.quarantined}, loaded ${rowsLoaded}, deduplicated ${rowsDeduplicated}; re-run the partition`,
        );
      }
      const led = await client.query<{ duration_ms: number }>(
        `INSERT INTO ledger (pipeline, partition_key, status, rows_in, rows_valid, rows_quarantined, rows_deduplicated, rows_loaded,
                             source_checksum, params_hash, code_version, workflow_id, run_id, started_at, finished_at, duration_ms,
                             failed_step, error, error_type, updated_at)
         VALUES ($1, $2, 'succeeded', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, to_timestamp($13 / 1000.0), now(),
                 (extract(epoch FROM now()) * 1000 - $13)::int, NULL, NULL, NULL, now())
         ON CONFLICT (pipeline, partition_key) DO UPDATE SET
           status = 'succeeded', rows_in = EXCLUDED.rows_in, rows_valid = EXCLUDED.rows_valid,
           rows_quarantined = EXCLUDED.rows_quarantined, rows_deduplicated = EXCLUDED.rows_deduplicated,
           rows_loaded = EXCLUDED.rows_loaded, source_checksum = EXCLUDED.source_checksum, params_hash = EXCLUDED.params_hash,
           code_version = EXCLUDED.code_version, workflow_id = EXCLUDED.workflow_id, run_id = EXCLUDED.run_id,
           started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at, duration_ms = EXCLUDED.duration_ms,
           failed_step = NULL, error = NULL, error_type = NULL, updated_at = now()
         RETURNING duration_ms`,
        [
          input.pipeline,
          input.partition,
          counts.rows_in,
          counts.valid,
          counts.quarantined,
          rowsDeduplicated,
          rowsLoaded,
          input.sourceChecksum,
          paramsHash(def),
          codeVersion(def),
          c?.info.workflowExecution?.workflowId ?? null,
          c?.info.workflowExecution?.runId ?? null,
          input.startedAtMs,
        ],
      );
      return {
        rowsIn: counts.rows_in,
        rowsValid: counts.valid,
        rowsQuarantined: counts.quarantined,
        rowsDeduplicated,
        rowsLoaded,
        table: def.target.table,
        durationMs: led.rows[0]?.duration_ms ?? 0,
      };
    })).finally(stopHeartbeats);
    logger.info(result, 'loaded');
    return result;
  }

  /** Marks the partition failed in the ledger, keeping the target's previous rows untouched. */
  async function recordFailure(input: FailureInput): Promise<void> {
    const c = ctx();
    await pool.query(
      `INSERT INTO ledger (pipeline, partition_key, status, workflow_id, run_id, started_at, finished_at, failed_step, error, error_type, updated_at)
       VALUES ($1, $2, 'failed', $3, $4, to_timestamp($5 / 1000.0), now(), $6, $7, $8, now())
       ON CONFLICT (pipeline, partition_key) DO UPDATE SET
         status = 'failed', workflow_id = EXCLUDED.workflow_id, run_id = EXCLUDED.run_id, finished_at = now(),
         duration_ms = (extract(epoch FROM now()) * 1000 - $5)::int,
         failed_step = EXCLUDED.failed_step, error = EXCLUDED.error, error_type = EXCLUDED.error_type, updated_at = now()`,
      [
        input.pipeline,
        input.partition,
        c?.info.workflowExecution?.workflowId ?? null,
        c?.info.workflowExecution?.runId ?? null,
        input.startedAtMs,
        input.step,
        input.message.slice(0, 4000),
        input.errorType ?? null,
      ],
    );
    log('recordFailure', input).warn({ step: input.step, errorType: input.errorType, error: input.message }, 'partition failed');
  }

  return { ingest, validate, transform, load, recordFailure };
}

interface LedgerRow {
  status: string;
  source_checksum: string | null;
  params_hash: string | null;
  code_version: string | null;
  rows_in: number | null;
  rows_valid: number | null;
  rows_quarantined: number | null;
  rows_deduplicated: number | null;
  rows_loaded: number | null;
  duration_ms: number | null;
}

interface UnplacedRow {
  sourceFile: string;
  lineNo: number;
  record: Record<string, unknown>;
  reason: string;
}

type Verdict = { ok: true; value: unknown } | { ok: false; field: string | null; reason: string; rawValue: string | null };

function checkRow(def: PipelineDefinition, record: Record<string, unknown>): Verdict {
  const rowError = record[ROW_ERROR_FIELD];
  if (typeof rowError === 'string') return { ok: false, field: null, reason: rowError, rawValue: null };
  const parsed = def.schema.safeParse(record);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues;
  const first = issues[0];
  const field = first && first.path.length > 0 ? first.path.map(String).join('.') : null;
  const raw = field !== null ? record[field.split('.')[0] as string] : undefined;
  const reason = issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(row)'}: ${i.message}`)
    .join('; ');
  return {
    ok: false,
    field,
    reason,
    rawValue: raw === undefined ? null : (typeof raw === 'string' ? raw : JSON.stringify(raw)).slice(0, 1000),
  };
}

/** How often load heartbeats while it runs (its heartbeat timeout is set in workflows/partition.ts). */
const LOAD_HEARTBEAT_MS = 5_000;

/** Heartbeats now and every `ms` until the returned function is called; nothing for local activities. */
function heartbeatEvery(c: Context | undefined, ms: number): () => void {
  if (!c || c.info.isLocal) return () => undefined;
  c.heartbeat();
  const timer = setInterval(() => c.heartbeat(), ms);
  return () => clearInterval(timer);
}

async function* mapAsync<T, U>(it: AsyncIterable<T>, fn: (t: T) => U): AsyncGenerator<U> {
  for await (const x of it) yield fn(x);
}

export type PartitionActivities = ReturnType<typeof createPartitionActivities>;
