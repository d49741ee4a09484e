/**
 * A cache of partition maps that never serves a map older than the ledger.
 *
 * Every committed ledger (and partition_inputs) change is announced by PostgreSQL on the channel
 * `datapulse_ledger` as `"<schema> <pipeline>"` (migration 016; NOTIFY is delivered only after the
 * change commits, in commit order, from any process writing the ledger — every worker of the
 * cluster). The cache keeps one LISTEN connection and a generation counter per pipeline (and one for
 * any change). A map is stored with the generation it was computed under and served only while that
 * generation is current:
 * - a source pipeline's map depends on its own ledger rows;
 * - a derived dataset's map also shows staleness inherited from its inputs, so it depends on every
 *   pipeline's changes (the `any` generation).
 * A map computed while a change arrived is returned but not stored. Before serving a stored map the
 * cache makes one round trip on the listening connection, so a notification already sent by the
 * server is processed first (PostgreSQL sends pending notifications before the reply). Without a
 * live LISTEN connection (not yet connected, dropped, database restarted) nothing is served from the
 * cache and the connection is re-established in the background.
 */
import type { Pool, PoolClient } from '../infra/db';

/** The channel migration 016's triggers notify. */
export const LEDGER_CHANNEL = 'datapulse_ledger';

/** Hit/miss counters, for the benchmark and tests. */
export interface MapCacheStats {
  hits: number;
  misses: number;
}

/** What {@link PartitionMapCache.get} needs of a map request. */
export interface MapCacheRequest {
  readonly pipeline: string;
  readonly from: string;
  readonly to: string;
  /** True for derived datasets: their map changes with any pipeline's ledger. */
  readonly dependsOnAllPipelines: boolean;
}

/** See the module comment. `T` is what is cached (a PartitionMap in the console). */
export class PartitionMapCache<T> {
  readonly stats: MapCacheStats = { hits: 0, misses: 0 };
  private readonly entries = new Map<string, { gen: number; value: T }>();
  private readonly gens = new Map<string, number>();
  private any = 0;
  private client: PoolClient | undefined;
  private schema = '';
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly pool: Pool,
    private readonly maxEntries: number,
    private readonly retryMs: number,
  ) {}

  /**
   * Starts listening (resolves once the first LISTEN succeeded or failed; a failure is retried every
   * `retryMs` and the cache stays off meanwhile). `maxEntries` bounds memory (least recently used out).
   */
  static async open<T>(pool: Pool, opts: { maxEntries?: number; retryMs?: number } = {}): Promise<PartitionMapCache<T>> {
    const cache = new PartitionMapCache<T>(pool, opts.maxEntries ?? 64, opts.retryMs ?? 2000);
    await cache.listen();
    return cache;
  }

  /** True while changes are heard (and so maps can be served from the cache). */
  get live(): boolean {
    return this.client !== undefined;
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    let client: PoolClient | undefined;
    try {
      client = await this.pool.connect();
      const c = client;
      const { rows } = await c.query<{ s: string }>('SELECT current_schema() AS s');
      this.schema = rows[0]?.s ?? '';
      c.on('notification', (n) => this.heard(n.payload ?? ''));
      c.on('error', () => this.lost(c));
      c.on('end', () => this.lost(c));
      await c.query(`LISTEN ${LEDGER_CHANNEL}`);
      if (this.closed) {
        c.release(true);
        return;
      }
      this.client = c;
    } catch {
      client?.release(true);
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.listen();
    }, this.retryMs);
    this.retryTimer.unref();
  }

  private lost(client: PoolClient): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.entries.clear();
    this.any++;
    try {
      client.release(true);
    } catch {
      // already released
    }
    this.scheduleRetry();
  }

  private heard(payload: string): void {
    const sp = payload.indexOf(' ');
    if (sp < 0 || payload.slice(0, sp) !== this.schema) return;
    const pipeline = payload.slice(sp + 1);
    this.gens.set(pipeline, (this.gens.get(pipeline) ?? 0) + 1);
    this.any++;
  }

  private generation(req: MapCacheRequest): number {
    return req.dependsOnAllPipelines ? this.any : (this.gens.get(req.pipeline) ?? 0);
  }

  /**
   * The cached value for the request when no change was heard since it was computed; otherwise
   * `compute()`'s (stored when no change arrived meanwhile). Errors of `compute` propagate.
   */
  async get(req: MapCacheRequest, compute: () => Promise<T>): Promise<{ value: T; cached: boolean }> {
    const key = `${req.pipeline}\u0000${req.from}\u0000${req.to}`;
    const client = this.client;
    if (client && this.entries.has(key)) {
      // Let any notification the server already sent arrive before trusting the entry.
      try {
        await client.query('SELECT 1');
      } catch {
        this.lost(client);
      }
      const hit = this.entries.get(key);
      if (this.client === client && hit && hit.gen === this.generation(req)) {
        this.entries.delete(key);
        this.entries.set(key, hit); // most recently used last
        this.stats.hits++;
        return { value: hit.value, cached: true };
      }
    }
    this.stats.misses++;
    const before = this.client;
    const gen = this.generation(req);
    const value = await compute();
    if (before && this.client === before && this.generation(req) === gen) {
      this.entries.delete(key);
      this.entries.set(key, { gen, value });
      while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    }
    return { value, cached: false };
  }

  /** Stops listening and forgets every entry. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const c = this.client;
    this.client = undefined;
    this.entries.clear();
    if (c) {
      await c.query(`UNLISTEN ${LEDGER_CHANNEL}`).catch(() => undefined);
      c.release();
    }
  }
}
