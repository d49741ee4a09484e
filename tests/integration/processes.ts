/**
 * Real OS processes for the fault tests: a `datapulse worker` started exactly as an operator would
 * (`node bin/datapulse.cjs worker` with its environment), that a test can SIGKILL and start again,
 * and the small waits those tests need.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';

const BIN = path.join(__dirname, '..', '..', 'bin', 'datapulse.cjs');

export interface WorkerProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Worker identity as Temporal records it (the SDK's default, `pid@host`). */
  readonly identity: string;
  /** Resolves when the process has exited, with its code or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last few kB of its stdout and stderr, for failure messages. */
  output(): string;
  /** Sends `signal` (default SIGKILL) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node bin/datapulse.cjs worker` with `env` on top of this process's environment. Pass at
 * least TEMPORAL_ADDRESS, DATABASE_URL, DATAPULSE_SCHEMA, DATAPULSE_TASK_QUEUE; METRICS_PORT
 * defaults to 0 and LOG_LEVEL to warn.
 */
export function spawnWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [BIN, 'worker'], {
    env: { ...process.env, METRICS_PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not start the worker process');
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    pid: child.pid,
    child,
    identity: `${child.pid}@${os.hostname()}`,
    exited,
    output: () => out,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls `check` every `everyMs` until it returns a truthy value, or fails after `timeoutMs` with `what`. */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, opts: { timeoutMs?: number; everyMs?: number } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 200));
  }
}

/** Waits until the worker process polls `taskQueue` for activities (it has bundled and connected). */
export async function waitForPoller(client: Client, taskQueue: string, worker: WorkerProcess, timeoutMs = 90_000): Promise<void> {
  await waitFor(
    `worker ${worker.identity} to poll ${taskQueue}`,
    async () => {
      if (worker.child.exitCode !== null) throw new Error(`worker exited with ${worker.child.exitCode}: ${worker.output()}`);
      const res = await client.workflowService.describeTaskQueue({
        namespace: client.options.namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: 2, // TASK_QUEUE_TYPE_ACTIVITY
      });
      return (res.pollers ?? []).some((p) => p.identity === worker.identity);
    },
    { timeoutMs, everyMs: 500 },
  );
}

/** Every execution (run id) of a workflow id, from visibility. */
export async function executions(client: Client, workflowId: string, taskQueue?: string): Promise<string[]> {
  const runs: string[] = [];
  // The suite shares one Temporal server: other test files run workflows with the same ids on their own task queues.
  const query = `WorkflowId = "${workflowId}"${taskQueue ? ` AND TaskQueue = "${taskQueue}"` : ''}`;
  for await (const w of client.workflow.list({ query })) runs.push(w.runId);
  return runs;
}

/**
 * Terminates the automation workflows (`automation/<task queue>/<pipeline>`) and file sensors
 * (`sensor/<pipeline>`, started by `schedule apply` too) still running on `taskQueue`, so a later
 * test file does not meet a long-running workflow whose worker is gone. Called when a harness or
 * fixture closes (its task queue), and when one is created (every task queue: test files run one
 * at a time, so any left running is a leftover).
 */
export async function terminateAutomation(client: Client, taskQueue?: string): Promise<void> {
  for (const type of ['automationWorkflow', 'fileSensorWorkflow']) {
    const query = `WorkflowType = "${type}"${taskQueue ? ` AND TaskQueue = "${taskQueue}"` : ''} AND ExecutionStatus = "Running"`;
    for await (const w of client.workflow.list({ query })) {
      await client.workflow.getHandle(w.workflowId, w.runId).terminate('test finished').catch(() => undefined);
    }
  }
}
