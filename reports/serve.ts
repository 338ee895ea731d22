/**
 * The report viewer behind `eventflow report`: a static file server for the
 * runs directory on 127.0.0.1. Paths stay inside the directory; a path that
 * is not valid percent-encoding is a 400, never a crash.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.json': 'application/json', '.xml': 'application/xml' };

export interface ReportServer {
  server: Server;
  /** The port it listens on (the one asked for, or the free one the OS gave). */
  port: number;
  close(): Promise<void>;
}

/** The file a request path names under `root`, or the HTTP status that refuses it. */
export function resolveRequestPath(root: string, rawUrl: string | undefined): { file: string } | { status: 400 | 403; reason: string } {
  const url = new URL(rawUrl ?? '/', 'http://localhost');
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return { status: 400, reason: 'malformed percent-encoding in the path' };
  }
  if (path.endsWith('/')) path += 'index.html';
  const full = resolve(root, `.${path}`);
  if (full !== root && !full.startsWith(root + sep)) return { status: 403, reason: 'forbidden' };
  return { file: full };
}

function handle(root: string, req: IncomingMessage, res: ServerResponse): void {
  const target = resolveRequestPath(root, req.url);
  if ('status' in target) {
    res.writeHead(target.status, { 'content-type': 'text/plain' }).end(target.reason);
    return;
  }
  if (!existsSync(target.file) || !statSync(target.file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(target.file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
  createReadStream(target.file).pipe(res);
}

/** Serves `root` (an absolute path) on 127.0.0.1:`port` (0 = any free port). */
export async function serveReports(root: string, port: number): Promise<ReportServer> {
  const server = createServer((req, res) => handle(root, req, res));
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(port, '127.0.0.1', ok));
  const addr = server.address();
  return {
    server,
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
