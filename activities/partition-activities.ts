/**
 * The four steps of a partition — ingest, validate, transform, load — plus the failure record.
 * Built by a factory over their dependencies so tests hand in a pool on their own schema.
 *
 * Every step replaces the partition's rows in its output table inside one transaction, so a retried
 * or replayed step leaves the same rows as one clean run. Only small summaries cross Temporal.
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { copyInLines, copyUnescape, withTransaction, type Pool, type PoolClient } from '../infra/db';
import type { Config } from '../infra/config';
import { intermediateName, intermediateTable, type IntermediateKind } from './intermediates';
import { copyEscape, encodeValue, ValueRejected } from './typed-values';
import { agreementSample, copyFileSetBased, firstDisagreement, rawColumnsDdl, rawRecordsSql, remainderSql, stageAccepted } from './set-based';
import { codeVersion, paramsHash } from '../infra/fingerprint';
import type { Logger } from '../infra/logger';
import { InvalidPartitionKeyError, keyToStartMs, partitionWindow, type PartitionWindow } from '../core/partition';
import type { PipelineDefinition, SourceRecord, SqlType } from '../core/pipeline';
import { UnknownPipelineError, type Registry } from '../core/registry';
import { ident } from '../core/sql';
import { blockingFailureMessage, CheckKind, isBlockingFailure, isWarning } from '../core/checks';
import { runChecks } from './check-runner';
import { compileRowSchema, type FastParse } from './row-validator';
import { FailureType, nonRetryable } from './errors';
import { assertWindowEnded } from './windows';
import { ROW_ERROR_FIELD } from './sources/csv-files';
import { readLandingFiles, type FileToRead } from './sources/landing-files';
import { filesForPartition, landingFolder, refreshCatalog } from './catalog';
import { readHttpJson } from './sources/http-json';
import { readDerived, recordConsumedInputs } from './sources/derived';
import { ensureTargetTable, PARTITION_COLUMN } from './target';
import { countUnplaced, unplacedRefusal } from './unplaced';
import type { UnplacedRow } from './catalog';
import { enqueueRowNotifications, quarantineUnknownReferences, recordMaterialization } from './row-effects';
import type { FailureInput, IngestInput, IngestResult, LoadInput, LoadResult, PartitionRef, TransformResult, ValidateResult } from './types';

export interface ActivityDeps {
  readonly pool: Pool;
  readonly registry: Registry;
  readonly config: Pick<Config, 'landingDir'> & Partial<Pick<Config, 'keepIntermediates'>>;
  readonly logger: Logger;
  /** Environment the sources read their settings from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

export function createPartitionActivities(deps: ActivityDeps) {
  const { pool, registry } = deps;
  const env = deps.env ?? process.env;

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

  /** Checked on every load, never remembered: see activities/target.ts (schema drift, dropped tables). */
  async function ensureTarget(def: PipelineDefinition): Promise<void> {
    await ensureTargetTable(pool, def);
  }

  function heartbeater(): (d?: unknown) => void {
    const c = ctx();
    return (d?: unknown) => (c && !c.info.isLocal ? c.heartbeat(d) : undefined);
  }

  /**
   * File sources: brings the catalog up to date (rows of re-scanned files that no partition can own
   * are collected into `unplaced`) and returns the files the window reads, in precedence order.
   */
  async function filesToRead(def: PipelineDefinition, window: PartitionWindow, unplaced: UnplacedRow[]): Promise<readonly FileToRead[] | undefined> {
    if (def.source.kind !== 'csv-files') return undefined;
    await refreshCatalog(pool, def, landingFolder(deps.config.landingDir, def.name), {
      heartbeat: heartbeater(),
      exceptPartition: window.key,
      onUnplaced: (rows) => void unplaced.push(...rows),
    });
    return filesForPartition(pool, def.name, window.key);
  }

  function readSource(def: PipelineDefinition, window: PartitionWindow, files: readonly FileToRead[] | undefined): AsyncIterable<SourceRecord> {
    const c = ctx();
    const heartbeat = heartbeater();
    const signal = c?.cancellationSignal ?? new AbortController().signal;
    if (def.source.kind === 'http-json') return readHttpJson(def.source, window, def.params, { env, signal, heartbeat });
    if (def.source.kind === 'derived') {
      const ref = { pipeline: def.name, partition: window.key, consumedRunId: c?.info.workflowExecution?.runId ?? null };
      return readDerived(def, window, def.params, { pool, registry, heartbeat, onConsumed: (consumed) => withTransaction(pool, (cl) => recordConsumedInputs(cl, ref, consumed)) });
    }
    // Rows no partition can own were recorded when the catalog scanned the file.
    return readLandingFiles(
      def.source,
      window,
      {
        folder: landingFolder(deps.config.landingDir, def.name),
        heartbeat,
        onUnplaced: () => undefined,
        firstPartitionStartMs: keyToStartMs(def.partitioning.granularity, def.partitioning.start),
      },
      files ?? [],
    );
  }

  /**
   * Reads exactly the partition's slice of the source into the partition's raw table (replaced
   * whole), one JSON document per source row with its file and line, streamed with COPY.
   */
  async function ingest(ref: IngestInput): Promise<IngestResult> {
    const { def, window } = resolve(ref);
    assertWindowEnded(ref, window, Date.now());
    const logger = log('ingest', ref);
    const started = Date.now();
    const c = ctx();
    const running = `INSERT INTO ledger (pipeline, partition_key, status, workflow_id, run_id, started_at, updated_at)
         VALUES ($1, $2, 'running', $3, $4, now(), now())
         ON CONFLICT (pipeline, partition_key) DO UPDATE SET
           status = 'running', workflow_id = EXCLUDED.workflow_id, run_id = EXCLUDED.run_id,
           started_at = CASE WHEN ledger.run_id IS NOT DISTINCT FROM EXCLUDED.run_id AND ledger.status = 'running'
                             THEN ledger.started_at ELSE now() END,
           finished_at = NULL, updated_at = now()`;
    const runIds = [c?.info.workflowExecution?.workflowId ?? null, c?.info.workflowExecution?.runId ?? null];
    const markRunning = () => pool.query(running, [ref.pipeline, ref.partition, ...runIds]);
    const previousRow = `SELECT status, source_checksum, params_hash, code_version, rows_in, rows_valid, rows_quarantined, rows_deduplicated, rows_loaded, duration_ms
           FROM ledger WHERE pipeline = $1 AND partition_key = $2`;
    // The previous ledger row and, unless asked to stop when nothing changed, the mark as running in
    // one statement: the CTE reads the row as it was before the upsert.
    const previous = (
      ref.ifChanged
        ? await pool.query<LedgerRow>(previousRow, [ref.pipeline, ref.partition])
        : await pool.query<LedgerRow>(`WITH previous AS (${previousRow}), marked AS (${running}) SELECT * FROM previous`, [ref.pipeline, ref.partition, ...runIds])
    ).rows[0];
    const hash = createHash('sha256');
    const unplaced: UnplacedRow[] = [];
    const raw = intermediateTable('raw', ref.pipeline, ref.partition);
    const files = await filesToRead(def, window, unplaced);
    // Files PostgreSQL read by the set-based path (activities/set-based.ts), and their rows.
    const setBased = { files: 0, rows: 0 };
    const rowsIn = await withTransaction(pool, async (client) => {
      // One ingest per partition at a time: an attempt of a run ended from outside (terminated, timed
      // out) may still be reading; the next run waits for it here instead of interleaving rows with it.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [ref.pipeline, ref.partition]);
      // One round trip: the raw table replaced (UNLOGGED for a big read, see activities/intermediates.ts;
      // with a set-based path, PostgreSQL's COPY fills text columns instead of `record`), and the
      // server's start time recorded with it, by which later steps tell tables a crash emptied.
      const unlogged = (files ?? []).reduce((n, f) => n + (f.rows ?? 0), 0) >= UNLOGGED_MIN_ROWS;
      await client.query(
        `DROP TABLE IF EXISTS ${raw};
         CREATE ${unlogged ? 'UNLOGGED ' : ''}TABLE ${raw} (${def.sql ? rawColumnsDdl(def.sql) : 'dp_seq bigint NOT NULL, source_file text NOT NULL, line_no integer NOT NULL, record json NOT NULL'});
         INSERT INTO ledger (pipeline, partition_key, status, started_at, updated_at, intermediates_epoch)
         VALUES (${client.escapeLiteral(ref.pipeline)}, ${client.escapeLiteral(ref.partition)}, 'running', now(), now(), pg_postmaster_start_time())
         ON CONFLICT (pipeline, partition_key) DO UPDATE SET intermediates_epoch = EXCLUDED.intermediates_epoch`,
      );
      let seq = 0;
      // The checksum is fed in batches: sha256 of the concatenation, whatever the batch size.
      const hashed = batchedHash(hash);
      let file = '';
      let fileEscaped = '';
      const copyRead = (only: readonly FileToRead[] | undefined) =>
        copyInLines(
          client,
          `${raw} (dp_seq, source_file, line_no, record)`,
          mapAsync(readSource(def, window, only), (r) => {
            const json = JSON.stringify(r.record);
            if (r.sourceFile !== file) fileEscaped = copyEscape((file = r.sourceFile));
            hashed.add(`${r.sourceFile}\t${r.lineNo}\t${json}\n`);
            return `${++seq}\t${fileEscaped}\t${r.lineNo}\t${copyEscape(json)}\n`;
          }),
        );
      let n = 0;
      if (!def.sql || !files) n = await copyRead(files);
      else {
        // Files in precedence order: a whole-partition file may take the set-based path; runs of
        // the others are read by JavaScript. Row numbers (dp_seq) keep the precedence order.
        const folder = landingFolder(deps.config.landingDir, def.name);
        let pending: FileToRead[] = [];
        const flush = async () => {
          if (pending.length > 0) n += await copyRead(pending);
          pending = [];
        };
        for (const f of files) {
          if (f.wholeFileRows !== undefined) {
            await flush();
            const got = await copyFileSetBased(client, def, raw, { folder, name: f.name, rows: f.wholeFileRows }, seq, heartbeater());
            if (got) {
              seq += got.rows;
              n += got.rows;
              setBased.files++;
              setBased.rows += got.rows;
              hashed.add(`${f.name}\t*\t${got.sha256}\n`);
              continue;
            }
          }
          pending.push(f);
        }
        await flush();
      }
      hashed.flush();
      return n;
    });
    // File sources: the rows of the pipeline's current files that no partition can own (the catalog keeps them).
    const unplacedCount = def.source.kind === 'csv-files' ? await countUnplaced(pool, def.name) : unplaced.length;
    if (def.source.kind === 'csv-files') {
      const refusal = await unplacedRefusal(pool, { ...ref, rowsIn, rowsLoadedBefore: previous?.rows_loaded ?? 0 });
      if (refusal) throw refusal;
    }
    const sourceChecksum = hash.digest('hex');
    if (
      ref.ifChanged &&
      previous &&
      previous.status === 'succeeded' &&
      previous.source_checksum === sourceChecksum &&
      previous.params_hash === paramsHash(def) &&
      previous.code_version === codeVersion(def)
    ) {
      logger.info({ rowsIn }, 'source unchanged since the last successful run; nothing to do');
      await pool.query(`DROP TABLE IF EXISTS ${raw}`);
      // The rows read are those loaded: a change the catalog reported before this read is settled.
      await pool.query('UPDATE ledger SET source_changed_at = NULL, source_change = NULL WHERE pipeline = $1 AND partition_key = $2 AND source_changed_at < $3', [
        ref.pipeline,
        ref.partition,
        new Date(started),
      ]);
      return {
        rowsIn,
        sourceChecksum,
        unplaced: unplacedCount,
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
    const result: IngestResult = { rowsIn, sourceChecksum, unplaced: unplacedCount, ...(setBased.files > 0 ? { setBased } : {}) };
    logger.info({ rowsIn, unplaced: unplacedCount, setBased, ms: Date.now() - started }, 'ingested');
    return result;
  }

  /**
   * One streaming pass over the raw rows: parse each with the pipeline's schema, apply its row
   * transform, and encode the result in the target's column types (activities/typed-values.ts),
   * COPYing every row into the partition's staging table (replaced whole). Rows that fail the
   * schema, the transform's key, or a column's type go to quarantine with file, line, field,
   * reason and raw value; the rest stay in staging. Then the checks run on the staged rows.
   */
  async function validate(ref: PartitionRef): Promise<ValidateResult> {
    const { def } = resolve(ref);
    const logger = log('validate', ref);
    const c = ctx();
    const raw = intermediateTable('raw', ref.pipeline, ref.partition);
    const stg = intermediateTable('stg', ref.pipeline, ref.partition);
    const columns = Object.entries(def.target.columns);
    const keySet = new Set(def.target.key);
    const nullColumns = columns.map(() => '\\N').join('\t');
    const counts: { rowsValid: number; rowsQuarantined: number } = await withTransaction(pool, async (client) => {
      const key = [ref.pipeline, ref.partition];
      await client.query('DELETE FROM quarantine WHERE pipeline = $1 AND partition_key = $2', key);
      // A previous run's check results must not outlive its rows (they are written again below).
      await client.query('DELETE FROM check_results WHERE pipeline = $1 AND partition_key = $2', key);
      const stagingDdl = `dp_seq bigint NOT NULL, dp_source_file text NOT NULL, dp_line_no integer NOT NULL,
           dp_field text, dp_reason text, dp_raw_value text, dp_record json,
           ${columns.map(([col, type]) => `${ident(col, 'column')} ${type}`).join(', ')}`;
      await client.query(`DROP TABLE IF EXISTS ${stg}`);
      // The staging table is UNLOGGED when the raw table is (a big read).
      const persistence = (await assertIntermediate(client, 'raw', ref)) === 'u' ? 'UNLOGGED ' : '';
      // Set-based path: PostgreSQL creates the staging table with the rows its SQL accepts; the
      // rest go through JavaScript below.
      const setBased = def.sql ? await stageAccepted(client, def, raw, stg, stagingDdl, persistence) : { rawRows: -1, textRows: 0, accepted: 0 };
      // Every raw row read and accepted by the set-based path: nothing for JavaScript to judge.
      const allSetBased = setBased.accepted === setBased.rawRows;
      if (!def.sql) await client.query(`CREATE ${persistence}TABLE ${stg} (${stagingDdl})`);
      if (setBased.accepted > 0) await assertSetBasedAgrees(client, def, ref, raw);
      let seen = 0;
      let badRows = 0;
      const stagingColumns = `${stg} (dp_seq, dp_source_file, dp_line_no, dp_field, dp_reason, dp_raw_value, dp_record, ${columns.map(([col]) => ident(col, 'column')).join(', ')})`;
      const bad = (seq: string, file: string, line: string, field: string | null, reason: string, rawValue: string | null, json: string) => {
        badRows++;
        return `${seq}\t${copyEscape(file)}\t${line}\t${field === null ? '\\N' : copyEscape(field)}\t${copyEscape(reason)}\t${
          rawValue === null ? '\\N' : copyEscape(rawValue.slice(0, 1000))
        }\t${copyEscape(json)}\t${nullColumns}\n`;
      };
      /** One raw row judged by the schema and the transform: its COPY line for the staging table. */
      const judge = (seq: string, file: string, line: string, json: string): string => {
        const record = JSON.parse(json) as Record<string, unknown>;
        const verdict = checkRow(def, record);
        if (!verdict.ok) return bad(seq, file, line, verdict.field, verdict.reason, verdict.rawValue, json);
        let out: Record<string, unknown>;
        try {
          out = def.transform(verdict.value as never, { partition: ref.partition, params: def.params });
        } catch (err) {
          throw nonRetryable(FailureType.TRANSFORM, `transform of ${file} line ${line} threw: ${(err as Error).message}`);
        }
        const row = encodeRow(columns, keySet, out);
        if ('rejected' in row) return bad(seq, file, line, row.rejected.field, row.rejected.reason, row.rejected.raw, json);
        return `${seq}\t${copyEscape(file)}\t${line}\t\\N\t\\N\t\\N\t\\N${row.encoded}\n`;
      };
      let staged = setBased.accepted;
      if (!allSetBased) {
        // The rows JavaScript judges are read through a cursor on this transaction's own
        // connection, a batch at a time, each batch COPYed into staging: one connection per
        // validate, so that concurrent validates can never hold the whole pool between them
        // while each waits for a second connection.
        await client.query(
          `DECLARE dp_remainder NO SCROLL CURSOR FOR
           SELECT dp_seq::text, source_file, line_no::text, record::text FROM (${remainderSql(def, raw, setBased.accepted === setBased.textRows)}) r`,
        );
        for (;;) {
          const batch = await client.query<[string, string, string, string]>({ text: `FETCH ${REMAINDER_BATCH} FROM dp_remainder`, rowMode: 'array' });
          if (batch.rows.length === 0) break;
          staged += await copyInLines(client, stagingColumns, batch.rows.map(([seq, file, line, json]) => judge(seq, file, line, json)));
          seen += batch.rows.length;
          if (c && !c.info.isLocal) c.heartbeat({ rows: seen });
          if (batch.rows.length < REMAINDER_BATCH) break;
        }
        await client.query('CLOSE dp_remainder');
      }
      const unknown = await quarantineUnknownReferences(client, def, stg, rawRecordsSql(def, raw), registry);
      // Only rows marked bad above are moved (no scan of the staged rows when there are none).
      const q =
        badRows + unknown > 0
          ? await client.query(
              `INSERT INTO quarantine (pipeline, partition_key, source_file, line_no, field, reason, raw_value, record)
               SELECT $1, $2, dp_source_file, dp_line_no, dp_field, dp_reason, dp_raw_value, dp_record::jsonb FROM ${stg} WHERE dp_reason IS NOT NULL`,
              key,
            )
          : undefined;
      const rowsQuarantined = q?.rowCount ?? 0;
      if (rowsQuarantined > 0) await client.query(`DELETE FROM ${stg} WHERE dp_reason IS NOT NULL`);
      const rowsValid = staged - rowsQuarantined;
      // What load checks its counts against: in = valid + quarantined.
      await client.query(
        `UPDATE ledger SET rows_in = $3, rows_valid = $4, rows_quarantined = $5, updated_at = now() WHERE pipeline = $1 AND partition_key = $2`,
        [...key, staged, rowsValid, rowsQuarantined],
      );
      return { rowsValid, rowsQuarantined };
    });
    const total = counts.rowsValid + counts.rowsQuarantined;
    const maxRatio = def.maxRejectedRatio ?? 0.5;
    logger.info(counts, 'validated');
    if (total > 0 && counts.rowsQuarantined >= (def.minRejectedRows ?? 2) && counts.rowsQuarantined / total > maxRatio) {
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
    const results = await runChecks(pool, def.checks, { ...ref, rowsValid: counts.rowsValid, staging: stg, columns: def.target.columns, params: def.params }, () =>
      c && !c.info.isLocal ? c.heartbeat() : undefined,
    );
    logger.info({ checks: results.map((r) => `${r.name}:${r.outcome}`) }, 'checked');
    if (results.some(isBlockingFailure)) throw nonRetryable(FailureType.CHECK_FAILED, blockingFailureMessage(results));
    const alerting = new Set((def.checks ?? []).filter((ch) => ch.alert).map((ch) => ch.name));
    const warnings = results.filter(isWarning).map((r) => ({ check: r.name, kind: r.kind, message: r.message, ...(alerting.has(r.name) ? { alert: true } : {}) }));
    return warnings.length ? { ...counts, warnings } : counts;
  }

  /**
   * Set-based: deduplicates the staged rows on the target key, in SQL — of rows sharing a key, the
   * last one in source order wins (highest `dp_seq`). Idempotent: a second run finds nothing to remove.
   */
  async function transform(ref: PartitionRef): Promise<TransformResult> {
    const { def } = resolve(ref);
    const logger = log('transform', ref);
    const stg = intermediateTable('stg', ref.pipeline, ref.partition);
    const keys = def.target.key.map((k) => ident(k, 'column'));
    // One statement, so one round trip and no explicit transaction: the DELETE and the counts (of
    // the rows before it, minus those it removed) are atomic. A missing staging table is IntermediatesLost.
    const dedupe =
      keys.length === 0
        ? // rowKey 'source-position' or 'none': every row is its own (nothing to deduplicate).
          `SELECT count(*)::int AS n, 0 AS deleted FROM ${stg}`
        : `WITH d AS (
             DELETE FROM ${stg} s USING (SELECT ${keys.join(', ')}, max(dp_seq) AS keep FROM ${stg} GROUP BY ${keys.join(', ')} HAVING count(*) > 1) d
              WHERE ${keys.map((k) => `s.${k} = d.${k}`).join(' AND ')} AND s.dp_seq < d.keep RETURNING 1)
           SELECT ((SELECT count(*) FROM ${stg}) - (SELECT count(*) FROM d))::int AS n, (SELECT count(*) FROM d)::int AS deleted`;
    // A unique check on exactly the key, measured by validate on these same staged rows, that found
    // no repeated key: nothing to remove, so only count (one scan instead of a GROUP BY of the key).
    const uniqueOnKey = (def.checks ?? []).find(
      (ch) => ch.kind === CheckKind.UNIQUE && ch.columns.length === def.target.key.length && ch.columns.every((col) => def.target.key.includes(col)),
    );
    const state = (
      await pool.query<{ intact: boolean; value: number | null }>(
        `SELECT (SELECT ${INTACT_SQL} FROM ledger WHERE pipeline = $1 AND partition_key = $2) AS intact,
                (SELECT value FROM check_results WHERE pipeline = $1 AND partition_key = $2 AND check_name = $3 AND check_kind = 'unique') AS value`,
        [ref.pipeline, ref.partition, uniqueOnKey?.name ?? null],
      )
    ).rows[0];
    if (state?.intact === false) throw intermediatesLost('stg', ref);
    const noRepeats = keys.length > 0 && uniqueOnKey !== undefined && state?.value === 0;
    const r = await pool
      .query<{ n: number; deleted: number }>(noRepeats ? `SELECT count(*)::int AS n, 0 AS deleted FROM ${stg}` : dedupe)
      .catch((err: unknown) => lostIfMissing(err, ref));
    const result = { rowsTransformed: r.rows[0]?.n ?? 0, rowsDeduplicated: r.rows[0]?.deleted ?? 0 };
    logger.info(result, 'transformed');
    return result;
  }

  /**
   * Replaces the partition's rows in the target with the staged rows and writes its ledger row
   * (with a checksum of the loaded data), in one transaction; the partition's intermediate tables
   * are dropped in the same transaction unless `keepIntermediates` is configured.
   */
  async function load(input: LoadInput): Promise<LoadResult> {
    const { def } = resolve(input);
    const logger = log('load', input);
    const c = ctx();
    const cols = Object.keys(def.target.columns).map((k) => ident(k, 'column'));
    // The data checksum hashes the typed values (no text rendering of every float: a third of the
    // cost); numerics as text, so that 4500.00 and 4500 count as different data. Prefixed `h2:`, so
    // that a checksum taken the earlier way (ROW()::text) is never mistaken for this one.
    const hashedCols = Object.entries(def.target.columns).map(([k, type]) => (type === 'numeric' ? `${ident(k, 'column')}::text` : ident(k, 'column')));
    const t = ident(def.target.table, 'table');
    const raw = intermediateTable('raw', input.pipeline, input.partition);
    const stg = intermediateTable('stg', input.pipeline, input.partition);
    // Heartbeat all along (the DDL and the transaction may wait on locks), so that a worker dying
    // mid-load is noticed within the heartbeat timeout rather than the start-to-close timeout.
    const stopHeartbeats = heartbeatEvery(c, LOAD_HEARTBEAT_MS);
    const result = await ensureTarget(def).then(() => withTransaction(pool, async (client) => {
      const key = [input.pipeline, input.partition];
      // A missing raw or staging table fails the INSERT or the counts below (IntermediatesLost, the
      // transaction rolls back): no look-up of the catalog first.
      await client.query(`DELETE FROM ${t} WHERE ${PARTITION_COLUMN} = $1`, [input.partition]);
      const position = def.target.rowKey === 'source-position';
      const ins = await client.query(
        `INSERT INTO ${t} (${cols.join(', ')}, ${PARTITION_COLUMN}${position ? ', dp_source_file, dp_line_no' : ''})
         SELECT ${cols.join(', ')}, $1${position ? ', dp_source_file, dp_line_no' : ''} FROM ${stg}`,
        [input.partition],
      );
      const rowsLoaded = ins.rowCount ?? 0;
      const n = await client.query<{ rows_in: number; valid: number | null; validated_in: number | null; intact: boolean; quarantined: number; data_checksum: string }>(
        `SELECT (SELECT count(*) FROM ${raw})::int AS rows_in,
                l.rows_valid AS valid, l.rows_in AS validated_in, ${INTACT_SQL.replace(/intermediates_epoch/g, 'l.intermediates_epoch')} AS intact,
                (SELECT count(*) FROM quarantine WHERE pipeline = $1 AND partition_key = $2)::int AS quarantined,
                (SELECT 'h2:' || count(*) || ':' || coalesce(sum(hash_record_extended(ROW(${hashedCols.join(', ')}), 0)::numeric), 0) FROM ${stg}) AS data_checksum
           FROM ledger l WHERE l.pipeline = $1 AND l.partition_key = $2`,
        key,
      );
      const counts = n.rows[0];
      // Emptied by a crash since ingest wrote them (UNLOGGED): run again from ingest, load nothing of this pass.
      if (counts?.intact === false) throw intermediatesLost('raw', input);
      const valid = counts?.valid ?? -1;
      const rowsDeduplicated = valid - rowsLoaded;
      if (!counts || counts.validated_in !== counts.rows_in || counts.rows_in !== valid + counts.quarantined || rowsDeduplicated < 0) {
        throw nonRetryable(
          FailureType.COUNT_MISMATCH,
          `counts do not add up: in ${counts?.rows_in}, validated ${counts?.validated_in}, valid ${valid}, quarantined ${counts?.quarantined}, loaded ${rowsLoaded}; re-run the partition`,
        );
      }
      const led = await client.query<{ duration_ms: number }>(
        `INSERT INTO ledger (pipeline, partition_key, status, rows_in, rows_valid, rows_quarantined, rows_deduplicated, rows_loaded,
                             source_checksum, data_checksum, params_hash, code_version, workflow_id, run_id, started_at, finished_at, duration_ms,
                             failed_step, error, error_type, updated_at)
         VALUES ($1, $2, 'succeeded', $3, $4, $5, $6, $7, $8, $14, $9, $10, $11, $12, to_timestamp($13 / 1000.0), clock_timestamp(),
                 (extract(epoch FROM clock_timestamp()) * 1000 - $13)::int, NULL, NULL, NULL, now())
         ON CONFLICT (pipeline, partition_key) DO UPDATE SET
           status = 'succeeded', rows_in = EXCLUDED.rows_in, rows_valid = EXCLUDED.rows_valid,
           rows_quarantined = EXCLUDED.rows_quarantined, rows_deduplicated = EXCLUDED.rows_deduplicated,
           rows_loaded = EXCLUDED.rows_loaded, source_checksum = EXCLUDED.source_checksum, data_checksum = EXCLUDED.data_checksum,
           params_hash = EXCLUDED.params_hash,
           code_version = EXCLUDED.code_version, workflow_id = EXCLUDED.workflow_id, run_id = EXCLUDED.run_id,
           started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at, duration_ms = EXCLUDED.duration_ms,
           failed_step = NULL, error = NULL, error_type = NULL, updated_at = now()
         RETURNING duration_ms`,
        [
          input.pipeline,
          input.partition,
          counts.rows_in,
          valid,
          counts.quarantined,
          rowsDeduplicated,
          rowsLoaded,
          input.sourceChecksum,
          paramsHash(def),
          codeVersion(def),
          c?.info.workflowExecution?.workflowId ?? null,
          c?.info.workflowExecution?.runId ?? null,
          input.startedAtMs,
          counts.data_checksum,
        ],
      );
      if (def.notify) await enqueueRowNotifications(client, def, stg, input);
      if (def.keepHistory) await recordMaterialization(client, def, registry, stg, input.partition, c?.info.workflowExecution?.runId ?? null);
      if (!deps.config.keepIntermediates) await client.query(`DROP TABLE ${raw}, ${stg}`);
      return {
        rowsIn: counts.rows_in,
        rowsValid: valid,
        rowsQuarantined: counts.quarantined,
        rowsDeduplicated,
        rowsLoaded,
        table: def.target.table,
        durationMs: led.rows[0]?.duration_ms ?? 0,
      };
    }).catch((err: unknown) => lostIfMissing(err, input))).finally(stopHeartbeats);
    logger.info(result, 'loaded');
    return result;
  }

  /**
   * The set-based path's agreement check (activities/set-based.ts): the first rows its SQL staged
   * must pass the schema and give, through the transform, the same values.
   * @throws non-retryable ConfigError naming file, line, column and both values on a disagreement.
   */
  async function assertSetBasedAgrees(client: PoolClient, def: PipelineDefinition, ref: PartitionRef, raw: string): Promise<void> {
    const sample = await agreementSample(client, def, raw);
    const columns = Object.entries(def.target.columns);
    const keySet = new Set(def.target.key);
    const disagree = (row: { sourceFile: string; lineNo: number }, what: string) =>
      nonRetryable(
        FailureType.CONFIG,
        `${def.name}: the set-based SQL (sql.select / sql.accept) disagrees with the schema and transform at ${row.sourceFile} line ${row.lineNo}: ${what}; ` +
          'fix the pipeline\'s sql (or remove it) and re-run the partition',
      );
    const js: Record<string, string | null>[] = [];
    for (const row of sample) {
      const verdict = checkRow(def, row.record);
      if (!verdict.ok) throw disagree(row, `SQL accepted a row the schema rejects (${verdict.reason})`);
      const out = def.transform(verdict.value as never, { partition: ref.partition, params: def.params });
      const encoded = encodeRow(columns, keySet, out);
      if ('rejected' in encoded) throw disagree(row, `SQL accepted a row JavaScript rejects (${encoded.rejected.reason})`);
      // COPY text escapes tabs inside values, so the row splits on tabs exactly.
      const fields = encoded.encoded.slice(1).split('\t');
      js.push(Object.fromEntries(columns.map(([col], i) => [col, fields[i] === '\\N' ? null : copyUnescape(fields[i]!)])));
    }
    const d = await firstDisagreement(client, def, sample.map((r) => r.staged), js);
    if (d) {
      const row = sample[d.index]!;
      throw disagree(row, `column ${d.column} is ${JSON.stringify(row.staged[d.column])} in SQL and ${JSON.stringify(js[d.index]![d.column])} in JavaScript`);
    }
  }

  /** Fails the step non-retryably when the partition's intermediate table is gone. */
  async function assertIntermediate(client: PoolClient, kind: IntermediateKind, ref: PartitionRef): Promise<string> {
    const r = await client.query<{ ok: boolean; persistence: string | null }>(
      `SELECT to_regclass($1) IS NOT NULL AND coalesce((SELECT ${INTACT_SQL} FROM ledger WHERE pipeline = $2 AND partition_key = $3), true) AS ok,
              (SELECT relpersistence::text FROM pg_class WHERE oid = to_regclass($1)) AS persistence`,
      [intermediateName(kind, ref.pipeline, ref.partition), ref.pipeline, ref.partition],
    );
    if (!r.rows[0]?.ok) throw intermediatesLost(kind, ref);
    return r.rows[0].persistence ?? 'p';
  }

  function intermediatesLost(kind: IntermediateKind, ref: PartitionRef) {
    return nonRetryable(
      FailureType.INTERMEDIATES_LOST,
      `the ${kind === 'raw' ? 'raw' : 'staged'} rows of ${ref.pipeline}/${ref.partition} are gone (dropped by hand, lost in a database crash, or already loaded by another run); re-run the partition from ingest`,
    );
  }

  /**
   * Rethrows a statement's error; PostgreSQL's "relation does not exist" (42P01) for one of the
   * partition's own intermediate tables becomes the non-retryable IntermediatesLost that
   * assertIntermediate throws, so a step may use the table straight away instead of looking it up first.
   */
  function lostIfMissing(err: unknown, ref: PartitionRef): never {
    const e = err as { code?: string; message?: string };
    if (e?.code === '42P01') {
      for (const kind of ['raw', 'stg'] as const) {
        if (e.message?.includes(`"${intermediateName(kind, ref.pipeline, ref.partition)}"`)) throw intermediatesLost(kind, ref);
      }
    }
    throw err;
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

type Verdict = { ok: true; value: unknown } | { ok: false; field: string | null; reason: string; rawValue: string | null };

/** Each pipeline's fast accept path (activities/row-validator.ts), compiled once; null when none. */
const fastParsers = new WeakMap<PipelineDefinition, FastParse | null>();

function fastParserOf(def: PipelineDefinition): FastParse | null {
  let f = fastParsers.get(def);
  if (f === undefined) fastParsers.set(def, (f = compileRowSchema(def.schema) ?? null));
  return f;
}

function checkRow(def: PipelineDefinition, record: Record<string, unknown>): Verdict {
  const rowError = record[ROW_ERROR_FIELD];
  if (typeof rowError === 'string') return { ok: false, field: null, reason: rowError, rawValue: null };
  // Valid rows take the compiled path; zod alone judges (and words) the rest.
  const fast = fastParserOf(def)?.(record);
  if (fast) return { ok: true, value: fast.value };
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

/**
 * A transformed row in the target's column types: each value as COPY text, every one preceded by a
 * tab (`encoded`), or why it cannot load (an empty key column, a value its column's type refuses:
 * activities/typed-values.ts), with the field and the raw value for quarantine.
 */
function encodeRow(
  columns: readonly (readonly [string, SqlType])[],
  keySet: ReadonlySet<string>,
  out: Record<string, unknown>,
): { encoded: string } | { rejected: { field: string; reason: string; raw: string | null } } {
  let encoded = '';
  for (const [col, type] of columns) {
    const v = out[col];
    if (keySet.has(col) && (v === null || v === undefined)) {
      return { rejected: { field: col, reason: `${col}: key column is empty (the transform produced ${v === null ? 'null' : 'nothing'})`, raw: null } };
    }
    try {
      encoded += `\t${encodeValue(type, v)}`;
    } catch (err) {
      if (!(err instanceof ValueRejected)) throw err;
      return { rejected: { field: col, reason: `${col}: ${err.message}`, raw: rawText(v) } };
    }
  }
  return { encoded };
}

/** A value as the quarantine's raw_value shows it. */
function rawText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * Whether a ledger row's intermediate tables can still hold what ingest wrote: written since the
 * server last started (a crash empties UNLOGGED tables; see infra/migrations/017). Null epoch:
 * written before the epoch was recorded (logged tables then), taken as intact.
 */
/**
 * Rows a read must be expected to bring (from the landing-file catalog) for its intermediate tables
 * to be UNLOGGED: creating an UNLOGGED table costs ~7 ms more (its init fork is synced), which a
 * small partition never wins back, while a big one saves a quarter of its time (docs/benchmarks.md).
 */
export const UNLOGGED_MIN_ROWS = 10_000;

/** Raw rows validate reads per FETCH for JavaScript to judge (one batch of records in memory at a time). */
const REMAINDER_BATCH = 5_000;

const INTACT_SQL = '(intermediates_epoch IS NULL OR intermediates_epoch = pg_postmaster_start_time())';

/** How often load heartbeats while it runs (its heartbeat timeout is set in workflows/partition.ts). */
const LOAD_HEARTBEAT_MS = 5_000;

/** Heartbeats now and every `ms` until the returned function is called; nothing for local activities. */
function heartbeatEvery(c: Context | undefined, ms: number): () => void {
  if (!c || c.info.isLocal) return () => undefined;
  c.heartbeat();
  const timer = setInterval(() => c.heartbeat(), ms);
  return () => clearInterval(timer);
}

/** Feeds a hash with strings in ~64 KiB batches (one native call per batch, not per row). */
function batchedHash(hash: ReturnType<typeof createHash>): { add(s: string): void; flush(): void } {
  let buf = '';
  return {
    add(s) {
      buf += s;
      if (buf.length >= 65_536) {
        hash.update(buf);
        buf = '';
      }
    },
    flush() {
      if (buf) hash.update(buf);
      buf = '';
    },
  };
}

async function* mapAsync<T, U>(it: AsyncIterable<T>, fn: (t: T) => U): AsyncGenerator<U> {
  for await (const x of it) yield fn(x);
}

export type PartitionActivities = ReturnType<typeof createPartitionActivities>;
