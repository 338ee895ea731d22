import { execa } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// An empty env file, so that a developer's own .env cannot change the verdict.
const EMPTY_ENV = join(mkdtempSync(join(tmpdir(), 'ef-compose-')), 'empty.env');
writeFileSync(EMPTY_ENV, '');
const PASSWORDS = {
  EVENTFLOW_POSTGRES_PASSWORD: 'p',
  EVENTFLOW_RABBITMQ_PASSWORD: 'r',
  EVENTFLOW_REDIS_PASSWORD: 'c',
  EVENTFLOW_GRAFANA_PASSWORD: 'g',
};

// docker-compose itself validates the committed files (scripts/provision.sh installs it).
describe('docker-compose files', () => {
  it.each([[['-f', 'docker-compose.yml']], [['-f', 'docker-compose.yml', '-f', 'docker-compose.offline.yml']]])(
    'are valid for docker-compose (%j)',
    async (files) => {
      const r = await execa('docker-compose', ['--env-file', EMPTY_ENV, ...files, 'config', '-q'], { cwd: ROOT, env: PASSWORDS, reject: false });
      expect(r.exitCode, r.stderr).toBe(0);
    },
  );

  it('refuse to start without generated passwords (no default credentials)', async () => {
    const env = Object.fromEntries(Object.keys(PASSWORDS).map((k) => [k, undefined]));
    const r = await execa('docker-compose', ['--env-file', EMPTY_ENV, '-f', 'docker-compose.yml', 'config', '-q'], { cwd: ROOT, env, extendEnv: true, reject: false });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('run scripts/compose-env.sh first');
  });
});
