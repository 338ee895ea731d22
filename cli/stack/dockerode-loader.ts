/**
 * dockerode, imported on first use and without what only two of its paths need:
 * docker-modem requires ssh2 at load time for `ssh://` engines, and dockerode's
 * session module requires gRPC + protobuf for BuildKit builds (together ~0.1 s
 * of CPU on every run, half of dockerode's import). Each of those two modules
 * exports a single function; until it is first called, a forwarder stands in
 * for it in Node's require cache, and the first call loads the real module.
 * Nothing changes for a caller of dockerode: an ssh:// DOCKER_HOST or a
 * BuildKit build loads its dependency when it connects.
 *
 * If a future dockerode moves those files, the forwarders are simply not
 * installed (eager loading as before); the unit test cli/startup-imports.test.ts
 * then fails and says so.
 */
import Module, { createRequire } from 'node:module';
import type Dockerode from 'dockerode';

/** The modules deferred, as [package whose main file requires them, specifier from that file]. */
export const DEFERRED_MODULES: readonly (readonly [string, string])[] = [
  ['docker-modem', './ssh.js'], // ssh2 (ssh:// engines)
  ['dockerode', './session.js'], // @grpc/grpc-js, @grpc/proto-loader (BuildKit sessions)
];

type Fn = (this: unknown, ...args: unknown[]) => unknown;

/** Put a forwarder in the require cache for `file`, unless it is loaded already. */
function defer(file: string): void {
  const cache = createRequire(import.meta.url).cache; // require.cache: one for the process
  if (cache[file]) return;
  let real: Fn | undefined;
  const stub = new Module(file);
  stub.filename = file;
  stub.loaded = true;
  stub.exports = function deferred(this: unknown, ...args: unknown[]): unknown {
    if (!real) {
      if (cache[file] === stub) delete cache[file];
      real = createRequire(file)(file) as Fn;
    }
    return real.apply(this, args);
  };
  cache[file] = stub;
}

/** The files DEFERRED_MODULES name, resolved from dockerode's own location; undefined for one that moved. */
export function deferredFiles(): (string | undefined)[] {
  const fromHere = createRequire(import.meta.url);
  return DEFERRED_MODULES.map(([pkg, specifier]) => {
    try {
      const main = createRequire(fromHere.resolve('dockerode')).resolve(pkg);
      return createRequire(main).resolve(specifier);
    } catch {
      return undefined;
    }
  });
}

let loaded: Promise<typeof Dockerode> | undefined;

/** The dockerode client class (imported once per process). */
export function loadDockerode(): Promise<typeof Dockerode> {
  loaded ??= (async () => {
    for (const file of deferredFiles()) if (file) defer(file);
    return (await import('dockerode')).default;
  })();
  return loaded;
}
