/** Running a command in a service's container and collecting what it printed (bounded). */
import type Dockerode from 'dockerode';
import { demux } from '../containers.js';

export interface ExecOptions {
  user?: string;
  env?: string[];
  /** Give up waiting after this long (the command keeps running); default 15 s. */
  timeoutMs?: number;
}

export async function execCollect(container: Dockerode.Container, cmd: string[], opts: ExecOptions = {}): Promise<{ exitCode: number | null; output: string }> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, User: opts.user ?? '', Env: opts.env ?? [] });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    }),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, opts.timeoutMs ?? 15_000);
    }),
  ]);
  clearTimeout(timer);
  stream.destroy();
  const result = await exec.inspect();
  return { exitCode: result.Running ? null : result.ExitCode, output: demux(Buffer.concat(chunks)).trim() };
}

/** Start a command in the container and return at once (it runs on after we return). */
export async function execDetached(container: Dockerode.Container, cmd: string[], opts: ExecOptions = {}): Promise<void> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: false, AttachStderr: false, User: opts.user ?? '', Env: opts.env ?? [] });
  await exec.start({ Detach: true });
}
