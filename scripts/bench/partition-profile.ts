/**
 * Where a partition's time goes, for `npm run bench:files -- --demo-year --profile`: PostgreSQL time
 * per statement (every query of this process, timed from send to result, grouped by its text with
 * partition-specific table names folded) and Temporal round trips per partition (workflow tasks,
 * activity tasks, local-activity markers, and the mean time between a child's events, from a sample
 * of child histories). A benchmark aid, not used by any worker.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { Pool } from '../../infra/db';
import type { Client } from '@temporalio/client';

interface StatementStat {
  count: number;
  ms: number;
}

/** Collects PostgreSQL statement timings from every `pg` client of this process while installed. */
export interface SqlProfile {
  /** Statements sorted by total time: text (folded), count, total ms. */
  report(): { statement: string; count: number; totalMs: number; meanMs: number }[];
  /** Total statements and time. */
  totals(): { count: number; ms: number };
  uninstall(): void;
}

/** Folds partition-specific names so that one statement shape is one line. */
function fold(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/"?dp_(raw|stg)_[a-z0-9_]+"?/gi, 'dp_$1_*')
    .trim()
    .slice(0, 110);
}

/** Wraps `pg.Client.prototype.query` (promise form and COPY streams alike) to time each statement. */
export function installSqlProfile(): SqlProfile {
  const stats = new Map<string, StatementStat>();
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const record = (text: string, t0: number) => {
    const k = fold(text);
    const s = stats.get(k) ?? { count: 0, ms: 0 };
    s.count++;
    s.ms += performance.now() - t0;
    stats.set(k, s);
  };
  proto.query = function (this: unknown, ...args: unknown[]): unknown {
    const first = args[0] as { text?: string; on?: unknown } | string;
    const text = typeof first === 'string' ? first : (first?.text ?? (first && typeof first.on === 'function' ? 'COPY (stream)' : 'submittable'));
    const t0 = performance.now();
    const out = original.apply(this, args);
    if (out && typeof (out as Promise<unknown>).then === 'function') {
      (out as Promise<unknown>).then(
        () => record(text, t0),
        () => record(text, t0),
      );
    } else if (out && typeof (out as { on?: unknown }).on === 'function') {
      const stream = out as NodeJS.EventEmitter;
      let done = false;
      const end = () => {
        if (!done) record(text, t0);
        done = true;
      };
      stream.on('finish', end);
      stream.on('end', end);
      stream.on('error', end);
    }
    return out;
  };
  return {
    report: () =>
      [...stats.entries()]
        .map(([statement, s]) => ({ statement, count: s.count, totalMs: Math.round(s.ms), meanMs: Math.round((s.ms / s.count) * 10) / 10 }))
        .sort((a, b) => b.totalMs - a.totalMs),
    totals: () => [...stats.values()].reduce((a, s) => ({ count: a.count + s.count, ms: a.ms + s.ms }), { count: 0, ms: 0 }),
    uninstall: () => void (proto.query = original),
  };
}

/** Round trips and event-to-event times of a sample of partition workflow histories. */
export async function profileHistories(client: Client, workflowIds: readonly string[]): Promise<{
  workflowTasks: number;
  activityTasks: number;
  localActivityMarkers: number;
  childEvents: number;
  /** Mean ms from the child's first event to its last. */
  meanChildMs: number;
  /** Mean ms spent between consecutive event types (e.g. `ActivityTaskScheduled→ActivityTaskStarted`), summed per partition. */
  gaps: Record<string, number>;
}> {
  let workflowTasks = 0;
  let activityTasks = 0;
  let markers = 0;
  let events = 0;
  let childMs = 0;
  const gaps = new Map<string, number>();
  for (const id of workflowIds) {
    const h = await client.workflow.getHandle(id).fetchHistory();
    const evs = h.events ?? [];
    events += evs.length;
    let prev: { type: string; ms: number } | undefined;
    let firstMs = 0;
    for (const e of evs) {
      const type = eventName(e);
      const ms = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
      if (!prev) firstMs = ms;
      if (e.workflowTaskScheduledEventAttributes) workflowTasks++;
      if (e.activityTaskScheduledEventAttributes) activityTasks++;
      if (e.markerRecordedEventAttributes) markers++;
      if (prev) {
        const k = `${prev.type}→${type}`;
        gaps.set(k, (gaps.get(k) ?? 0) + (ms - prev.ms));
      }
      prev = { type, ms };
    }
    childMs += (prev?.ms ?? firstMs) - firstMs;
  }
  const n = Math.max(1, workflowIds.length);
  return {
    workflowTasks: workflowTasks / n,
    activityTasks: activityTasks / n,
    localActivityMarkers: markers / n,
    childEvents: events / n,
    meanChildMs: Math.round(childMs / n),
    gaps: Object.fromEntries([...gaps.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => [k, Math.round(v / n)])),
  };
}

function eventName(e: object): string {
  for (const k of Object.keys(e)) {
    if (k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k]) return k.replace(/EventAttributes$/, '').replace(/^./, (c) => c.toUpperCase());
  }
  return 'Event';
}

/** CPU seconds (user + system) of a process from /proc (Linux); 0 where it cannot be read. */
export function processCpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    // Fields after the command name: utime is the 12th, stime the 13th (clock ticks, 100 per second).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of the PostgreSQL backends serving this database's connections from this machine
 * whose application is `app` (none if unreadable). Backends that ended before the call are not counted.
 */
export async function backendCpuSeconds(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = current_setting('application_name')`);
  return rows.reduce((a, r) => a + processCpuSeconds(r.pid), 0);
}
