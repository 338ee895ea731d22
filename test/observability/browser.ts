/**
 * Headless Chromium for GUI tests: the Debian package's binary driven by
 * playwright-core. Never downloads a browser.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { REPO_ROOT } from './dashboard-queries.js';

export const CHROMIUM = process.env.EVENTFLOW_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `Chromium not found at ${CHROMIUM}: install the Debian package "chromium" (scripts/provision.sh) or set EVENTFLOW_CHROMIUM`;
}

export async function launchChromium(): Promise<Browser> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}

/** test-artifacts/<name>/ (git-ignored), created on demand. */
export function artifactDir(name: string): string {
  const dir = join(REPO_ROOT, 'test-artifacts', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
