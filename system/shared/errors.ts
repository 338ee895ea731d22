/**
 * Typed application errors: each carries the HTTP status and the JSON body
 * the API answers with. Business errors (sold out, not found, validation) are
 * AppErrors; they never count as dependency failures for circuit breakers.
 */
export type ErrorCode =
  | 'VALIDATION'
  | 'SOLD_OUT'
  | 'EVENT_NOT_FOUND'
  | 'ORDER_NOT_FOUND'
  | 'NOT_FOUND'
  | 'UNAVAILABLE'
  | 'OUTCOME_UNKNOWN'
  | 'INTERNAL';

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  field?: string;
}

export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }

  toBody(): ErrorBody {
    return { error: this.code, message: this.message, ...(this.field !== undefined ? { field: this.field } : {}) };
  }
}

export const validationError = (message: string, field?: string, status = 422): AppError =>
  new AppError(status, 'VALIDATION', message, field);
export const soldOut = (eventId: number, remaining?: number): AppError =>
  new AppError(409, 'SOLD_OUT', `event ${eventId} has ${remaining === undefined ? 'not enough' : `only ${remaining}`} tickets left`);
export const eventNotFound = (eventId: number): AppError => new AppError(404, 'EVENT_NOT_FOUND', `event ${eventId} does not exist`);
export const orderNotFound = (orderId: string): AppError => new AppError(404, 'ORDER_NOT_FOUND', `order ${orderId} does not exist`);
/** 503: nothing was stored (a retry is a fresh attempt). */
export const unavailable = (message: string, retryAfterSeconds = 2): AppError =>
  new AppError(503, 'UNAVAILABLE', message, undefined, retryAfterSeconds);
/** 504: the request may or may not have been stored; a retry with the same Idempotency-Key tells which. */
export const outcomeUnknown = (message: string, retryAfterSeconds = 2): AppError =>
  new AppError(504, 'OUTCOME_UNKNOWN', message, undefined, retryAfterSeconds);
