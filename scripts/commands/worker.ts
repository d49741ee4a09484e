import { registry } from '../../pipelines';
import { runWorkerProcess } from '../../workers/worker';

export async function workerCommand(): Promise<void> {
  await runWorkerProcess(registry);
}
