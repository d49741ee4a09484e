/**
 * Per-row effects a pipeline may declare besides loading its rows (core/pipeline.ts):
 * - `quarantineUnknown`: a set-based row-level reference at validate — valid staged rows whose
 *   column is not found in another target table are moved to quarantine with the reason;
 * - `notify`: one outside message per new row, enqueued in the load's transaction in the
 *   notification outbox (activities/notifications.ts), so the key and the rows commit together;
 * - `keepHistory`: the partition's loaded rows kept per params version in `materialization_history`
 *   (migration 013), for `datapulse diff` (ops/diff.ts).
 * All of them run on the caller's client, inside the step's transaction.
 */
import type { PoolClient } from '../infra/db';
import { lineageParamsVersion } from '../infra/fingerprint';
import type { PipelineDefinition } from '../core/pipeline';
import type { Registry } from '../core/registry';
import { ident } from '../core/sql';
import { notificationOrigin } from '../core/sport-benefits';
import { FailureType, nonRetryable } from './errors';
import { enqueueNotifications, type NotificationItem } from './notifications';

/** The owner of a target table in the registry, for messages (`sport_hr_directory`), or undefined. */
function ownerOf(registry: Registry | undefined, table: string): string | undefined {
  return registry?.pipelines.find((p) => p.target.table === table)?.name;
}

async function assertTableExists(client: Pick<PoolClient, 'query'>, table: string, what: string, registry?: Registry): Promise<void> {
  const r = await client.query<{ ok: boolean }>(`SELECT to_regclass(format('%I.%I', current_schema(), $1::text)) IS NOT NULL AS ok`, [table]);
  if (!r.rows[0]?.ok) {
    const owner = ownerOf(registry, table);
    throw nonRetryable(FailureType.CONFIG, `${what} reads table ${table}, which does not exist yet${owner ? `: load ${owner} first (datapulse run ${owner} all)` : ''}`);
  }
}

/**
 * Moves the staged rows whose referenced value is unknown into the quarantine shape (dp_field,
 * dp_reason, dp_raw_value, and the raw record from `raw`), where the caller's quarantine insert
 * picks them up. `stg` and `raw` are quoted intermediate table names. Returns rows marked.
 * @throws non-retryable CONFIG when a referenced table does not exist.
 */
export async function quarantineUnknownReferences(client: PoolClient, def: PipelineDefinition, stg: string, raw: string, registry?: Registry): Promise<number> {
  let marked = 0;
  for (const r of def.quarantineUnknown ?? []) {
    await assertTableExists(client, r.table, `${def.name}'s reference ${r.column} → ${r.table}.${r.refColumn}`, registry);
    const col = ident(r.column, 'column');
    const res = await client.query(
      `UPDATE ${stg} s SET dp_field = $1, dp_raw_value = s.${col}::text, dp_record = w.record,
              dp_reason = $1 || ': unknown ' || $1 || ' ' || s.${col}::text || ' (not in ' || $2 || '.' || $3 || ')'
         FROM ${raw} w
        WHERE w.dp_seq = s.dp_seq AND s.dp_reason IS NULL AND s.${col} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM ${ident(r.table, 'table')} t WHERE t.${ident(r.refColumn, 'column')}::text = s.${col}::text)`,
      [r.column, r.table, r.refColumn],
    );
    marked += res.rowCount ?? 0;
  }
  return marked;
}

/**
 * Enqueues one message per staged row whose key the channel's outbox does not know yet: live rows
 * as `pending`, history (a backfill, or an event older than `maxAgeHours`) as `suppressed`.
 * Returns the counts. Keys already known (a retried, re-loaded or replayed partition) add nothing.
 */
export async function enqueueRowNotifications(
  client: PoolClient,
  def: PipelineDefinition,
  stg: string,
  input: { pipeline: string; partition: string; trigger?: string },
  nowMs = Date.now(),
): Promise<{ live: number; history: number }> {
  const n = def.notify;
  if (!n) return { live: 0, history: 0 };
  const cols = Object.keys(def.target.columns).map((c) => `s.${ident(c, 'column')}`);
  let joinSql = '';
  if (n.join) {
    await assertTableExists(client, n.join.table, `${def.name}'s notify.join`);
    const picked = n.join.columns.map((c) => `j.${ident(c, 'column')}`).join(', ');
    joinSql = `LEFT JOIN LATERAL (SELECT ${picked} FROM ${ident(n.join.table, 'table')} j
                WHERE j.${ident(n.join.refColumn, 'column')}::text = s.${ident(n.join.on, 'column')}::text LIMIT 1) j ON true`;
  }
  const key = ident(n.key, 'column');
  const { rows } = await client.query<Record<string, unknown>>(
    `SELECT ${cols.join(', ')}${n.join ? `, ${n.join.columns.map((c) => `j.${ident(c, 'column')}`).join(', ')}` : ''}
       FROM ${stg} s ${joinSql}
      WHERE s.${key} IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM notification_outbox o WHERE o.channel = $1 AND o.key = s.${key}::text)
      ORDER BY s.${ident(n.timeColumn, 'column')}, s.${key}`,
    [n.channel],
  );
  const live: NotificationItem[] = [];
  const history: NotificationItem[] = [];
  const maxAgeMs = (n.maxAgeHours ?? 36) * 3_600_000;
  for (const row of rows) {
    const t = row[n.timeColumn];
    const eventMs = t instanceof Date ? t.getTime() : Date.parse(String(t));
    const origin = notificationOrigin({ trigger: input.trigger ?? 'run', eventMs, nowMs, maxAgeMs });
    (origin === 'live' ? live : history).push({ key: String(row[n.key]), message: n.message(row) });
  }
  const source = `${input.pipeline}/${input.partition}`;
  const a = await enqueueNotifications(client, { channel: n.channel, source, origin: 'live', items: live });
  const b = await enqueueNotifications(client, { channel: n.channel, source, origin: 'history', items: history });
  return { live: a.inserted, history: b.inserted };
}

/**
 * Keeps the partition's loaded rows (all target columns, exact: numerics stay jsonb numerics) under
 * the pipeline's params version (infra/fingerprint.ts `lineageParamsVersion`: its params and those of
 * everything it reads). A re-load under the same version replaces that version's rows.
 */
export async function recordMaterialization(client: PoolClient, def: PipelineDefinition, registry: Registry, stg: string, partition: string, runId: string | null): Promise<void> {
  const cols = Object.keys(def.target.columns).map((c) => ident(c, 'column'));
  const order = (def.target.key.length ? def.target.key : Object.keys(def.target.columns)).map((c) => ident(c, 'column'));
  await client.query(
    `INSERT INTO materialization_history (pipeline, partition_key, params_version, run_id, loaded_at, row_count, rows)
     SELECT $1, $2, $3, $4, now(), count(*)::int, coalesce(jsonb_agg(to_jsonb(x) ORDER BY ${order.map((c) => `x.${c}`).join(', ')}), '[]'::jsonb)
       FROM (SELECT ${cols.join(', ')} FROM ${stg}) x
     ON CONFLICT (pipeline, partition_key, params_version) DO UPDATE SET
       run_id = EXCLUDED.run_id, loaded_at = EXCLUDED.loaded_at, row_count = EXCLUDED.row_count, rows = EXCLUDED.rows`,
    [def.name, partition, lineageParamsVersion(registry, def.name), runId],
  );
}
