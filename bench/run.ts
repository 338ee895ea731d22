/** `npm run bench`: imports every bench/*.ts except this file and calls its run(). */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'run.ts').sort()) {
  if (only && !f.startsWith(only)) continue;
  const mod = (await import(pathToFileURL(`${dir}/${f}`).href)) as { run?: () => Promise<void> };
  if (typeof mod.run === 'function') {
    process.stdout.write(`== bench/${f}\n`);
    await mod.run();
  }
}
