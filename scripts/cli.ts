/**
 * `datapulse`: the one ops entry point. A thin router: each subcommand declares its options and
 * lazy-loads its implementation. Failures print one line and exit non-zero.
 */
import { Command, InvalidArgumentError, Option } from 'commander';

// Subcommands are loaded on first use with require(): the CLI starts fast and `--help` needs none
// of the SDK. (tsx runs this file as CommonJS, where a dynamic import() would bypass its hook.)

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

const program = new Command()
  .name('datapulse')
  .description('Durable, partitioned data pipelines on Temporal')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (str, write) => write(str) });

program
  .command('dev')
  .description('start the local stack (Temporal dev server + Web UI, PostgreSQL) and a worker; Ctrl-C stops it')
  .option('--no-worker', 'start only the servers')
  .action(async (opts: { worker: boolean }) => (require('./commands/dev') as typeof import('./commands/dev')).devCommand(opts));

program
  .command('demo')
  .description('bring up the stack, run weather and city_weather partitions, print where to look; stays up until Ctrl-C')
  .addOption(new Option('--exit', 'exit when the demo has run instead of keeping the stack up').env('DATAPULSE_DEMO_EXIT'))
  .action(async (opts: { exit?: boolean | string }) => (require('./commands/demo') as typeof import('./commands/demo')).demoCommand({ exit: Boolean(opts.exit) && opts.exit !== '0' }));

program
  .command('worker')
  .description('run a worker on the task queue (connects to TEMPORAL_ADDRESS and DATABASE_URL)')
  .action(async () => (require('./commands/worker') as typeof import('./commands/worker')).workerCommand());

program
  .command('run')
  .description('start (or join) one partition\'s workflow, wait, and print its summary')
  .argument('<pipeline>', 'pipeline name, e.g. weather')
  .argument('<partition>', 'partition key: 2024-05-01T13 (hourly), 2024-05-01 (daily), 2024-05 (monthly) or all (unpartitioned), UTC')
  .option('--no-wait', 'print the workflow id and UI link, do not wait for the result')
  .option('--json', 'print the summary as JSON')
  .action(async (pipeline: string, partition: string, opts: { wait: boolean; json?: boolean }) =>
    (require('./commands/run') as typeof import('./commands/run')).runCommand(pipeline, partition, opts),
  );

program
  .command('backfill')
  .description('backfill a range of partitions with a progress bar; or: backfill list | status|pause|resume|cancel <id> | set-concurrency <id> <n>')
  .argument('<pipeline>', 'pipeline name (or a subcommand: list, status, pause, resume, cancel, set-concurrency)')
  .argument('[args...]', 'subcommand arguments: <backfill-id> [n]')
  .option('--from <key>', 'first partition (inclusive), e.g. 2024-01-01T00')
  .option('--to <key>', 'end of the range (exclusive), e.g. 2024-01-08T00')
  .option('--concurrency <n>', 'partitions running at once (change later with set-concurrency)', positiveInt, 4)
  .option('--force', 're-run every partition in the range')
  .option('--only-failed', 're-run only failed and missing partitions')
  .option('--only-missing', 'run only missing partitions (never run): fill gaps, leave failed and stale ones alone')
  .option('--stale', 're-run partitions whose params, code version or source changed since they succeeded')
  .option('--with-upstream', 'first fill what is missing or stale in every pipeline this one reads (derived datasets), in dependency order')
  .option('--dry-run', 'print the plan (partitions per state) and start nothing')
  .option('--no-wait', 'print the backfill id and UI link, do not follow progress')
  .option('--json', 'print the plan / summary / status as JSON on stdout')
  .action(async (target: string, args: string[], opts: import('./commands/backfill').BackfillOptions) =>
    (require('./commands/backfill') as typeof import('./commands/backfill')).backfillCommand(target, args, opts),
  );

program
  .command('status')
  .description('the partition map of a pipeline from the ledger: succeeded, stale, failed, running, missing')
  .argument('<pipeline>', 'pipeline name, e.g. weather')
  .option('--from <key>', 'first partition (inclusive); default: the earliest in the ledger')
  .option('--to <key>', 'end of the range (exclusive); default: the partition after the latest complete one')
  .option('--json', 'print the map as JSON')
  .action(async (pipeline: string, opts: { from?: string; to?: string; json?: boolean }) =>
    (require('./commands/status') as typeof import('./commands/status')).statusCommand(pipeline, opts),
  );

const schedule = program.command('schedule').description('the Temporal Schedules that run each pipeline\'s newest partition (one per pipeline: datapulse/<pipeline>)');
const scheduleCmd = () => require('./commands/schedule') as typeof import('./commands/schedule');
schedule.command('apply').description('create missing schedules and update changed ones from the registry (keeps paused ones paused); starts the file pipelines\' sensors').action(async () => scheduleCmd().scheduleApplyCommand());
schedule.command('list').description('every pipeline\'s schedule: state, spec, next and last action').action(async () => scheduleCmd().scheduleListCommand());
schedule
  .command('describe')
  .description('one schedule: state and note, spec, policies, next 5 action times, recent runs')
  .argument('<pipeline>', 'pipeline name, e.g. weather')
  .option('--json', 'print the description as JSON')
  .action(async (pipeline: string, opts: { json?: boolean }) => scheduleCmd().scheduleDescribeCommand(pipeline, opts));
schedule
  .command('pause')
  .description('pause a pipeline\'s schedule; no new ticks until resumed')
  .argument('<pipeline>', 'pipeline name')
  .option('--note <text>', 'why it is paused (shown by describe and in the Temporal UI)')
  .action(async (pipeline: string, opts: { note?: string }) => scheduleCmd().schedulePauseCommand(pipeline, opts));
schedule
  .command('resume')
  .description('resume a paused schedule (ticks that fell while paused are skipped, not caught up)')
  .argument('<pipeline>', 'pipeline name')
  .option('--note <text>', 'replaces the pause note')
  .action(async (pipeline: string, opts: { note?: string }) => scheduleCmd().scheduleResumeCommand(pipeline, opts));
schedule
  .command('trigger')
  .description('take one scheduled action now: runs the partition before now (overlap ALLOW_ALL)')
  .argument('<pipeline>', 'pipeline name')
  .action(async (pipeline: string) => scheduleCmd().scheduleTriggerCommand(pipeline));
schedule
  .command('delete')
  .description('delete a pipeline\'s schedule (running workflows keep running; apply recreates it)')
  .argument('<pipeline>', 'pipeline name')
  .action(async (pipeline: string) => scheduleCmd().scheduleDeleteCommand(pipeline));

const sensor = program.command('sensor').description('file sensors: one workflow per file pipeline (sensor/<pipeline>) that loads the partitions new or changed landing files touch');
const sensorCmd = () => require('./commands/sensor') as typeof import('./commands/sensor');
sensor
  .command('start')
  .description('start the sensor of a pipeline, or of every file pipeline (a running one is left as it is)')
  .argument('[pipeline]', 'pipeline name; default: every pipeline that reads landing files')
  .action(async (pipeline?: string) => sensorCmd().sensorStartCommand(pipeline));
sensor.command('list').description('every file pipeline\'s sensor: state, interval, polls, partitions started, last files').action(async () => sensorCmd().sensorListCommand());
sensor
  .command('status')
  .description('one sensor: state, interval, counters, last poll and its files, last error')
  .argument('<pipeline>', 'pipeline name')
  .option('--json', 'print the status as JSON')
  .action(async (pipeline: string, opts: { json?: boolean }) => sensorCmd().sensorStatusCommand(pipeline, opts));
for (const what of ['pause', 'resume', 'stop'] as const) {
  sensor
    .command(what)
    .description(
      what === 'pause'
        ? 'stop polling (changes keep being recorded by partition runs and are picked up on resume)'
        : what === 'resume'
          ? 'poll again, at once'
          : 'end the sensor workflow (nothing is lost: pending partitions stay recorded; start it again with sensor start)',
    )
    .argument('<pipeline>', 'pipeline name')
    .action(async (pipeline: string) => sensorCmd().sensorSignalCommand(pipeline, what));
}

program
  .command('quarantine')
  .description('the rejected rows of one partition (file, line, field, reason, raw value), its failed checks, and how to re-run it')
  .argument('<pipeline>', 'pipeline name, e.g. weather')
  .argument('<partition>', 'partition key, e.g. 2024-05-01T13')
  .option('--limit <n>', 'rows to list (the count is always exact)', positiveInt, 50)
  .option('--json', 'print the report as JSON')
  .action(async (pipeline: string, partition: string, opts: { limit: number; json?: boolean }) =>
    (require('./commands/quarantine') as typeof import('./commands/quarantine')).quarantineCommand(pipeline, partition, opts),
  );

program
  .command('lineage')
  .description('the upstream partitions one partition consumed (load time, run id, UI link) and the downstream partitions that consumed it')
  .argument('<pipeline>', 'pipeline name, e.g. city_weather_monthly')
  .argument('<partition>', 'partition key, e.g. 2012-03')
  .option('--json', 'print the lineage as JSON')
  .action(async (pipeline: string, partition: string, opts: { json?: boolean }) =>
    (require('./commands/lineage') as typeof import('./commands/lineage')).lineageCommand(pipeline, partition, opts),
  );

program
  .command('diff')
  .description('a derived dataset before and after a params change (e.g. the sport cost per team and in total), from the materializations kept per params version')
  .argument('<pipeline>', 'pipeline name, e.g. sport_team_monthly')
  .option('--from <version>', 'params version before (or a unique prefix); default: the second newest')
  .option('--to <version>', 'params version after (or a unique prefix); default: the newest')
  .option('--measure <column...>', 'numeric columns to compare; default: bonus_cost, wellness_cost, total_cost when present')
  .option('--by <column>', 'column to group by; default: the first key column that is not month')
  .option('--partition <key>', 'compare one partition only, e.g. 2025-12 (default: every partition, summed)')
  .option('--versions', 'list the params versions kept instead')
  .option('--json', 'print the diff as JSON')
  .action(async (pipeline: string, opts: import('./commands/diff').DiffCommandOptions) =>
    (require('./commands/diff') as typeof import('./commands/diff')).diffCommand(pipeline, opts),
  );

program
  .command('graph')
  .description('the pipeline graph: which pipelines read which, with partition mappings')
  .option('--mermaid', 'print a Mermaid flowchart instead of text')
  .action((opts: { mermaid?: boolean }) => (require('./commands/lineage') as typeof import('./commands/lineage')).graphCommand(opts));

program
  .command('ui')
  .description('serve the web console (partition maps, partition detail, backfills, KPI dashboards) on 127.0.0.1:3000')
  .option('--port <n>', 'port (env DATAPULSE_UI_PORT; default 3000)', (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number');
    return n;
  })
  .option('--host <address>', 'bind address (env DATAPULSE_UI_HOST; default 127.0.0.1); anything but loopback needs --token')
  .option('--actions', 'allow run, backfill, re-run failed and pause/resume from the console (env DATAPULSE_UI_ACTIONS=1; default read-only)')
  .option('--token <token>', 'require this token (env DATAPULSE_UI_TOKEN; at least 16 characters)')
  .action(async (opts: { port?: number; host?: string; actions?: boolean; token?: string }) => (require('./commands/ui') as typeof import('./commands/ui')).uiCommand(opts));

program
  .command('pipelines')
  .description('list the registered pipelines')
  .action(async () => (require('./commands/pipelines') as typeof import('./commands/pipelines')).pipelinesCommand());

/** Commands that host a worker and run until stopped: no command span around them. */
const LONG_RUNNING = new Set(['worker', 'dev', 'demo', 'ui']);

export async function main(argv: string[]): Promise<void> {
  // Tracing first, before a command loads pg or the SDK; off (and not even loaded) unless
  // OTEL_EXPORTER_OTLP_ENDPOINT or DATAPULSE_TRACE_CONSOLE is set. Flushed in finally.
  const command = argv[2] ?? '';
  let telemetry: import('../infra/telemetry').Telemetry | undefined;
  try {
    telemetry = (require('../infra/telemetry') as typeof import('../infra/telemetry')).startTelemetry({
      serviceName: LONG_RUNNING.has(command) ? 'datapulse-worker' : 'datapulse-cli',
    });
    if (LONG_RUNNING.has(command) || command.startsWith('-')) await program.parseAsync(argv);
    else await telemetry.inSpan(`datapulse ${command}`, { 'datapulse.command': argv.slice(2).join(' ') }, () => program.parseAsync(argv));
  } catch (err) {
    process.stderr.write(`datapulse: ${(err as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await telemetry?.shutdown();
  }
}

void main(process.argv);
