/**
 * One classification of database errors for every service (api and notifier decide from it alone):
 *
 * - `unreachable`: the database cannot be reached or is not ready (connection refused/reset, breaker open,
 *   connect/transaction timeout, shutting down, schema not migrated yet). The work may succeed later
 *   unchanged. api: take the async path. notifier: requeue, pause, probe the database, resume.
 * - `transient`: the database answered but cannot do this work *now*, for a reason that is not about the
 *   work itself (statement timeout, lock not available, deadlock, serialization failure, disk full, out of
 *   memory, a privilege revoked, a read-only standby, an internal error). api: take the async path (the
 *   notifier keeps the message). notifier: requeue and pause with a growing backoff; never dead-letter.
 * - `rejected`: anything else the database refused (constraint, invalid data, a bug in a statement): retrying
 *   the same work cannot help. api: answer 500, nothing was stored. notifier: retry queue, then dead-letter
 *   (replayable with `eventflow dlq replay` once the cause is fixed).
 *
 * Business outcomes (AppError: sold out, not found…) are not database failures: `undefined`.
 */
import { AppError } from './errors.js';
import { errorMessage } from './logger.js';

export type DbFailure = 'unreachable' | 'transient' | 'rejected';

/** Error codes (node network errors, opossum, our own, SQLSTATE) that mean "not reachable / not ready". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  'EOPENBREAKER', 'ETXTIMEOUT',
  '57P01', '57P02', '57P03', '57P04', '53300', '42P01', '3D000',
]);

/** SQLSTATEs of a database that answers but cannot do the work now (see the module comment). */
const TRANSIENT_CODES = new Set(['57014', '55P03', '55006', '40001', '40P01', '42501', '25006', '25P03', '57P05']);
/** SQLSTATE classes that are transient as a whole: insufficient resources, system error, internal error. */
const TRANSIENT_CLASSES = new Set(['53', '58', 'XX']);

const SQLSTATE_RE = /^[0-9A-Z]{5}$/;

/** Driver-level messages without a code that mean the connection, not the statement, failed. */
const UNREACHABLE_MESSAGES = [
  'connection terminated', 'timeout', 'timed out', 'connect', 'breaker is open', 'client has encountered a connection error',
  'not queryable',
];

export function classifyDbError(err: unknown): DbFailure | undefined {
  if (err instanceof AppError) return undefined;
  if (typeof err !== 'object' || err === null) return 'rejected';
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNREACHABLE_CODES.has(code) || code.startsWith('08')) return 'unreachable';
    if (TRANSIENT_CODES.has(code) || (SQLSTATE_RE.test(code) && TRANSIENT_CLASSES.has(code.slice(0, 2)))) return 'transient';
    if (SQLSTATE_RE.test(code)) return 'rejected';
  }
  const msg = errorMessage(err).toLowerCase();
  return UNREACHABLE_MESSAGES.some((m) => msg.includes(m)) ? 'unreachable' : 'rejected';
}

/** Worth doing again later, unchanged (unreachable or transient): an acknowledged purchase must wait, not die. */
export const isRetryableDbError = (err: unknown): boolean => {
  const c = classifyDbError(err);
  return c === 'unreachable' || c === 'transient';
};
