/** The audit trail of console actions (`console_actions`, migration 007): who did what, and how it ended. */
import type { Pool } from '../infra/db';

/** One action as recorded. */
export interface ActionRecord {
  readonly actor: string;
  readonly remoteAddr: string | null;
  readonly action: string;
  readonly pipeline: string | null;
  readonly target: string | null;
  readonly params: Readonly<Record<string, unknown>>;
  readonly outcome: 'ok' | 'error' | 'refused';
  readonly detail: string | null;
}

/** Appends one record (values bound). */
export async function recordAction(pool: Pool, a: ActionRecord): Promise<void> {
  await pool.query(
    `INSERT INTO console_actions (actor, remote_addr, action, pipeline, target, params, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [a.actor, a.remoteAddr, a.action, a.pipeline, a.target, JSON.stringify(a.params), a.outcome, a.detail],
  );
}

/** The newest records first, at most `limit`. */
export async function recentActions(pool: Pool, limit = 50): Promise<(ActionRecord & { at: string })[]> {
  const { rows } = await pool.query<{ at: Date; actor: string; remote_addr: string | null; action: string; pipeline: string | null; target: string | null; params: Record<string, unknown>; outcome: ActionRecord['outcome']; detail: string | null }>(
    'SELECT at, actor, remote_addr, action, pipeline, target, params, outcome, detail FROM console_actions ORDER BY at DESC, id DESC LIMIT $1',
    [limit],
  );
  return rows.map((r) => ({ at: r.at.toISOString(), actor: r.actor, remoteAddr: r.remote_addr, action: r.action, pipeline: r.pipeline, target: r.target, params: r.params, outcome: r.outcome, detail: r.detail }));
}
