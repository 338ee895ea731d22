#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm ci` via prepare).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 22)) {
  process.stderr.write(`eventflow needs Node.js >= 22.22 (this is ${process.version}). Install a current Node (e.g. \`npm install --prefix ~/.eventflow-node node@22\`) and put it first on PATH.\n`);
  process.exit(3);
}
const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('eventflow is not built yet: run `npm run build` in the repository first.\n');
  process.exit(3);
}
await import(entry);
