import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateSchemaJson, schemaPath } from './schema-gen.js';

describe('scenarios/schema.json', () => {
  it('is up to date with the validator (regenerate: node --import tsx cli/scenario/schema-gen.ts)', () => {
    expect(readFileSync(schemaPath(), 'utf8')).toBe(generateSchemaJson());
  });
  it('describes the step kinds and accepts ${param} references for numbers', () => {
    const s = JSON.parse(generateSchemaJson()) as { required: string[]; properties: Record<string, unknown> };
    expect(s.required).toEqual(expect.arrayContaining(['version', 'name', 'steps']));
    const text = JSON.stringify(s);
    for (const k of ['fault', 'load', 'wait', 'await-load', 'sleep']) expect(text).toContain(`"${k}"`);
    expect(text).toContain('\\\\$\\\\{');
  });
});
