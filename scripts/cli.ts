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
  .argument('<partition>', 'partition key: 2024-05-01T13 (hourly) or 2024-05-01 (daily), UTC')
  .option('--no-wait', 'print the workflow id and UI link, do not wait for the result')
  .option('--json', 'print the summary as JSON')
  .action(async (pipeline: string, partition: string, opts: { wait: boolean; json?: boolean }) =>
    (require('./commands/run') as typeof import('./commands/run')).runCommand(pipeline, partition, opts),
  );

program
  .command('pipelines')
  .description('list the registered pipelines')
  .action(async () => (require('./commands/pipelines') as typeof import('./commands/pipelines')).pipelinesCommand());

void positiveInt;

export async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.stderr.write(`datapulse: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

void main(process.argv);
