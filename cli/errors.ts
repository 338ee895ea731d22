import { ExitCode } from './exit-codes.js';

/** An error the CLI reports as one clear paragraph and maps to an exit code. */
export class EventflowError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'EventflowError';
  }
}

/** Bad flags, bad scenario file, unknown service…: exit 2. */
export class UsageError extends EventflowError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.Usage, hint);
    this.name = 'UsageError';
  }
}

/** Docker unreachable, a container that will not start…: exit 3. */
export class InfrastructureError extends EventflowError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.Infrastructure, hint);
    this.name = 'InfrastructureError';
  }
}
