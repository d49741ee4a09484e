/**
 * The worker process of `npm run bench:bulk`: a real `datapulse worker` (configured from the
 * environment the benchmark sets) whose registry holds the bench pipelines. Run as its own process
 * so that its resident memory can be measured alone.
 */
import { runWorkerProcess } from '../../workers/worker';
import { benchRegistry } from './bulk-pipelines';

runWorkerProcess(benchRegistry).catch((err: Error) => {
  process.stderr.write(`bench worker failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
