/**
 * Headless Chromium for the e2e tests, screenshots and the UI benchmark: Debian's `chromium`
 * (`/usr/bin/chromium`, or CHROMIUM_PATH) driven by playwright-core; `scripts/bootstrap.sh
 * --browser` installs it when missing.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Flags for a quiet, offline, headless run (no sandbox: CI runs as root). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Launches Chromium. Throws with the install command when the binary is missing. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath}: run \`bash scripts/bootstrap.sh --browser\` (apt-get install -y chromium) or set CHROMIUM_PATH`);
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}
