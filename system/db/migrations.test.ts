import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from './migrations.js';

describe('migrations', () => {
  it('are idempotent by construction (IF NOT EXISTS / ON CONFLICT)', () => {
    for (const m of MIGRATIONS) {
      for (const stmt of m.sql.match(/CREATE (TABLE|INDEX)[^;]*/g) ?? []) expect(stmt).toMatch(/IF NOT EXISTS/);
      for (const stmt of m.sql.match(/INSERT INTO[^;]*/g) ?? []) expect(stmt).toMatch(/ON CONFLICT/);
    }
  });
});
