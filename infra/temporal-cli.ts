/**
 * Finds the Temporal CLI (which holds the dev server and Web UI), or builds it once, pinned, into
 * the ignored `.tools/bin`. Order: $TEMPORAL_CLI, `temporal` on PATH, `.tools/bin/temporal`, build.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './config';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** Later tags carry a `replace` directive and cannot be built with `go install`. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TOOLS_BIN = path.join(REPO_ROOT, '.tools', 'bin');

/** Thrown when no Temporal CLI can be found or built, saying what to install or set. */
export class TemporalCliUnavailableError extends Error {
  override readonly name = 'TemporalCliUnavailableError';
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

export function findTemporalCli(): string | undefined {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new TemporalCliUnavailableError(`TEMPORAL_CLI=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  return onPath('temporal') ?? (isExecutable(path.join(TOOLS_BIN, 'temporal')) ? path.join(TOOLS_BIN, 'temporal') : undefined);
}

/** Returns a usable `temporal` binary, building the pinned version with Go when none is found. */
export function ensureTemporalCli(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string {
  const found = findTemporalCli();
  if (found) return found;
  const go = onPath('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new TemporalCliUnavailableError(
      'no Temporal CLI found and no Go toolchain to build it: install the Temporal CLI (https://docs.temporal.io/cli) ' +
        `or Go, set TEMPORAL_CLI to its path, or set TEMPORAL_ADDRESS to a running Temporal server`,
    );
  }
  mkdirSync(TOOLS_BIN, { recursive: true });
  log(`building the Temporal CLI ${TEMPORAL_CLI_VERSION} into ${TOOLS_BIN} (one time, a few minutes)...`);
  const res = spawnSync(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
    env: { ...process.env, GOBIN: TOOLS_BIN },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const bin = path.join(TOOLS_BIN, 'temporal');
  if (res.status !== 0 || !isExecutable(bin)) {
    throw new TemporalCliUnavailableError(
      `building the Temporal CLI failed (go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} exited ${res.status}); ` +
        'install the Temporal CLI yourself and put it on PATH, or set TEMPORAL_ADDRESS',
    );
  }
  return bin;
}

if (require.main === module) {
  try {
    process.stdout.write(`${ensureTemporalCli()}\n`);
  } catch (err) {
    process.stderr.write(`datapulse: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
