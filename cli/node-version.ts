/** The Node.js the CLI needs: package.json's `engines.node` (">=major.minor") is the one statement of it. */
import { packageManifest } from './package.js';

/** How to get a current Node without touching the system one. */
export const NODE_INSTALL_HINT = 'npm install --prefix ~/.eventflow-node node@22 && export PATH=~/.eventflow-node/node_modules/node/bin:$PATH';

export function requiredNode(): { major: number; minor: number; text: string } {
  const range = packageManifest().engines?.node ?? '';
  const m = /^>=\s*(\d+)\.(\d+)/.exec(range);
  if (!m) throw new Error(`package.json engines.node must read ">=major.minor" (got "${range}")`);
  return { major: Number(m[1]), minor: Number(m[2]), text: `>= ${m[1]}.${m[2]}` };
}

/** Whether `version` (default: this process's Node) meets engines.node. */
export function nodeVersionOk(version = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const need = requiredNode();
  return major > need.major || (major === need.major && minor >= need.minor);
}
