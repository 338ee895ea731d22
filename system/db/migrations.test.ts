import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from './migrations.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

describe('embedded migrations', () => {
  it('match system/db/migrations/*.sql exactly and in order', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
    expect(MIGRATIONS.map((m) => m.name)).toEqual(files);
    for (const m of MIGRATIONS) expect(m.sql).toBe(readFileSync(join(dir, m.name), 'utf8'));
  });

  it('are idempotent by construction (IF NOT EXISTS / ON CONFLICT)', () => {
    for (const m of MIGRATIONS) {
      for (const stmt of m.sql.match(/CREATE (TABLE|INDEX)[^;]*/g) ?? []) expect(stmt).toMatch(/IF NOT EXISTS/);
      for (const stmt of m.sql.match(/INSERT INTO[^;]*/g) ?? []) expect(stmt).toMatch(/ON CONFLICT/);
    }
  });
});
