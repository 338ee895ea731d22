/**
 * scenarios/schema.json is generated from the zod schema of the validator:
 *   node --import tsx cli/scenario/schema-gen.ts
 * A unit test (schema-gen.test.ts) fails when the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { makeScenarioSchema } from './format.js';
import { packageRoot } from '../package.js';

export function generateSchemaJson(): string {
  const schema = z.toJSONSchema(makeScenarioSchema({ forJsonSchema: true }), { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const doc = {
    $schema: schema.$schema,
    $id: 'https://github.com/eventflow/eventflow/scenarios/schema.json',
    title: 'EventFlow scenario (format version 1)',
    description: 'Generated from cli/scenario/format.ts by cli/scenario/schema-gen.ts — do not edit by hand. See scenarios/README.md.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function schemaPath(): string {
  return join(packageRoot(), 'scenarios', 'schema.json');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(schemaPath(), generateSchemaJson());
  process.stdout.write(`wrote ${schemaPath()}\n`);
}
