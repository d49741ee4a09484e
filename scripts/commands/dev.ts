import { workflowsQueryUiUrl } from '../../lib/config';
import { say, startLocalStack, untilSignal } from './stack';

export async function devCommand(opts: { worker: boolean }): Promise<void> {
  const stack = await startLocalStack({ worker: opts.worker });
  try {
    say();
    say(`Temporal UI: ${workflowsQueryUiUrl(stack.config, 'ExecutionStatus="Running" OR ExecutionStatus="Failed"').replace(/\?.*$/, '')}`);
    say(`Try:         npx datapulse run weather ${new Date(Date.now() - 7_200_000).toISOString().slice(0, 13)}`);
    say('Ctrl-C stops the stack.');
    await Promise.race([untilSignal(), stack.workerDone]);
    say('stopping...');
  } finally {
    await stack.stop();
  }
}
