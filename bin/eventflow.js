#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm ci` via prepare).
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli');
if (!existsSync(join(cli, 'main.js'))) {
  process.stderr.write('eventflow is not built yet: run `npm run build` in the repository first.\n');
  process.exit(3);
}
// The minimum is package.json's engines.node; cli/node-version.ts reads it (plain ES2022, loads on older Node).
const { NODE_INSTALL_HINT, nodeVersionOk, requiredNode } = await import(join(cli, 'node-version.js'));
if (!nodeVersionOk()) {
  process.stderr.write(`eventflow needs Node.js ${requiredNode().text} (this is ${process.version}). Install a current Node and put it first on PATH:\n  ${NODE_INSTALL_HINT}\n`);
  process.exit(3);
}
// V8's code cache on disk (in the OS temp directory): later runs skip compiling the CLI's modules.
// Node >= 22.1; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
module.enableCompileCache?.();
await import(join(cli, 'main.js'));
