/**
 * Actions, through the same ops/ functions as the CLI: run a partition, backfill a range with a
 * mode, re-run failed, pause/resume a schedule or a file sensor. POST only, CSRF-checked, refused (403) when the
 * console is read-only, and every attempt recorded in `console_actions` with who and what.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isBackfillMode, type BackfillMode } from '../../core/plan';
import { recordAction, type ActionRecord } from '../../ops/audit';
import { startOrAttachBackfill, validateRange } from '../../ops/backfill-client';
import { startPartition } from '../../ops/partition-runs';
import { assertPartitionKey } from '../../ops/partition-map';
import { pauseSchedule, resumeSchedule } from '../../ops/schedules';
import { signalSensor } from '../../ops/sensors';
import { HttpError, type ConsoleContext } from '../server';

const STR = { type: 'string', maxLength: 100 } as const;

type Body = Record<string, string | undefined>;

/** Action routes as one Fastify plugin. */
export const actionRoutes: FastifyPluginAsync<{ ctx: ConsoleContext }> = async (app, { ctx }) => {
  /** Runs an action with the checks and the audit record around it. */
  async function act(req: FastifyRequest<{ Body: Body }>, reply: FastifyReply, action: string, target: string | null, fn: () => Promise<string>): Promise<FastifyReply> {
    const params = Object.fromEntries(Object.entries(req.body).filter(([k]) => k !== '_csrf'));
    const base: Omit<ActionRecord, 'outcome' | 'detail'> = { actor: ctx.actor(req), remoteAddr: req.ip, action, pipeline: params.pipeline ?? null, target, params };
    const audit = async (outcome: ActionRecord['outcome'], detail: string) => {
      ctx.logger?.info({ ...base, outcome, detail }, 'console action');
      await recordAction(ctx.pool, { ...base, outcome, detail }).catch((err: unknown) => ctx.logger?.error({ err }, 'could not record a console action'));
    };
    try {
      const location = await fn();
      await audit('ok', location);
      return reply.redirect(location, 303);
    } catch (err) {
      await audit('error', (err as Error).message);
      throw err;
    }
  }

  const def = (name: string | undefined) => ctx.registry.get(name ?? '');

  /** Read-only consoles refuse before anything else (and say how to enable actions); then the CSRF check. */
  async function readOnlyGuard(req: FastifyRequest<{ Body: Body }>): Promise<void> {
    if (ctx.actionsEnabled) return;
    const params = Object.fromEntries(Object.entries(req.body ?? {}).filter(([k]) => k !== '_csrf'));
    const record: ActionRecord = { actor: ctx.actor(req), remoteAddr: req.ip, action: req.url.replace('/actions/', ''), pipeline: params.pipeline ?? null, target: null, params, outcome: 'refused', detail: 'read-only console' };
    ctx.logger?.warn(record, 'console action refused');
    await recordAction(ctx.pool, record).catch((err: unknown) => ctx.logger?.error({ err }, 'could not record a console action'));
    throw new HttpError(403, 'this console is read-only: start it with --actions (DATAPULSE_UI_ACTIONS=1) to run, backfill or pause');
  }
  const guards = { preHandler: [readOnlyGuard, app.csrfProtection] };

  app.post<{ Body: Body }>(
    '/actions/run',
    { ...guards, schema: { body: { type: 'object', required: ['pipeline', 'key'], properties: { pipeline: STR, key: STR, _csrf: STR } } } },
    async (req, reply) =>
      act(req, reply, 'run', req.body.key ?? null, async () => {
        const d = def(req.body.pipeline);
        const key = req.body.key ?? '';
        assertPartitionKey(d, key);
        await startPartition(await ctx.temporal(), ctx.config, { pipeline: d.name, partition: key, trigger: 'run' });
        return `/pipelines/${encodeURIComponent(d.name)}/partitions/${encodeURIComponent(key)}`;
      }),
  );

  const rangeBody = {
    type: 'object',
    required: ['pipeline', 'from', 'to'],
    properties: { pipeline: STR, from: STR, to: STR, mode: STR, concurrency: { type: 'string', pattern: '^[0-9]{1,3}$' }, _csrf: STR },
  } as const;

  async function backfill(req: FastifyRequest<{ Body: Body }>, mode: BackfillMode): Promise<string> {
    const d = def(req.body.pipeline);
    const from = req.body.from ?? '';
    const to = req.body.to ?? '';
    validateRange(d, from, to);
    const concurrency = Math.min(64, Math.max(1, Number(req.body.concurrency ?? 4) || 4));
    const { handle } = await startOrAttachBackfill(await ctx.temporal(), ctx.config, d, { from, to, mode, concurrency });
    return `/backfills?started=${encodeURIComponent(handle.workflowId)}`;
  }

  app.post<{ Body: Body }>('/actions/backfill', { ...guards, schema: { body: rangeBody } }, async (req, reply) =>
    act(req, reply, 'backfill', `${req.body.from}..${req.body.to}`, async () => {
      const mode = req.body.mode ?? 'missing';
      if (!isBackfillMode(mode)) throw new HttpError(400, `unknown backfill mode "${mode}" (missing, force, only-failed, only-missing, stale)`);
      return backfill(req, mode);
    }),
  );

  app.post<{ Body: Body }>('/actions/rerun-failed', { ...guards, schema: { body: rangeBody } }, async (req, reply) =>
    act(req, reply, 'rerun-failed', `${req.body.from}..${req.body.to}`, async () => backfill(req, 'only-failed')),
  );

  app.post<{ Body: Body }>(
    '/actions/schedule',
    { ...guards, schema: { body: { type: 'object', required: ['pipeline', 'op'], properties: { pipeline: STR, op: { type: 'string', enum: ['pause', 'resume'] }, note: { type: 'string', maxLength: 500 }, _csrf: STR } } } },
    async (req, reply) =>
      act(req, reply, `schedule-${req.body.op}`, req.body.pipeline ?? null, async () => {
        const d = def(req.body.pipeline);
        const note = req.body.note || `${req.body.op === 'pause' ? 'paused' : 'resumed'} from the console by ${ctx.actor(req)}`;
        if (req.body.op === 'pause') await pauseSchedule(await ctx.temporal(), ctx.registry, d.name, note);
        else await resumeSchedule(await ctx.temporal(), ctx.registry, d.name, note);
        return '/';
      }),
  );

  app.post<{ Body: Body }>(
    '/actions/sensor',
    { ...guards, schema: { body: { type: 'object', required: ['pipeline', 'op'], properties: { pipeline: STR, op: { type: 'string', enum: ['pause', 'resume'] }, _csrf: STR } } } },
    async (req, reply) =>
      act(req, reply, `sensor-${req.body.op}`, req.body.pipeline ?? null, async () => {
        const d = def(req.body.pipeline);
        if (d.source.kind !== 'csv-files') throw new HttpError(400, `pipeline ${d.name} does not read landing files: it has no sensor`);
        const op = req.body.op === 'pause' ? 'pause' : 'resume';
        try {
          await signalSensor(await ctx.temporal(), d.name, op);
        } catch (err) {
          if ((err as Error).name === 'WorkflowNotFoundError') throw new HttpError(409, `the file sensor of ${d.name} is not running: start it with npx datapulse sensor start ${d.name}`);
          throw err;
        }
        return '/';
      }),
  );
};
