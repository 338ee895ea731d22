import type { LogLevel } from './config.js';

/** The subset of pino's interface the services use (Fastify's `app.log` satisfies it). */
export interface Logger {
  error(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
}

const ORDER: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: 100 };

/** One JSON object per line on stdout, pino-compatible fields (level, time, msg). */
export function createLogger(level: LogLevel, base: Record<string, unknown> = {}): Logger {
  const threshold = ORDER[level];
  const write = (lvl: Exclude<LogLevel, 'silent'>, obj: object | string, msg?: string): void => {
    if (ORDER[lvl] < threshold) return;
    const fields = typeof obj === 'string' ? { msg: obj } : { ...obj, ...(msg !== undefined ? { msg } : {}) };
    const normalised: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields) as Array<[string, unknown]>) {
      normalised[k] = v instanceof Error ? { message: v.message, code: (v as { code?: unknown }).code } : v;
    }
    process.stdout.write(`${JSON.stringify({ level: ORDER[lvl], time: Date.now(), ...base, ...normalised })}\n`);
  };
  return {
    error: (o, m) => write('error', o, m),
    warn: (o, m) => write('warn', o, m),
    info: (o, m) => write('info', o, m),
    debug: (o, m) => write('debug', o, m),
  };
}

export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
