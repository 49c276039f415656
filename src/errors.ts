/**
 * Errors with a stable `code`, so callers branch on the code, never on the message.
 * `status` is the HTTP status the integrations answer with.
 */
export class MfaError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = 'MfaError';
    this.code = code;
    this.status = status;
  }
}

/** The store could not be reached or answered nonsense: callers fail closed. */
export class StoreError extends MfaError {
  constructor(message: string) {
    super('store_unavailable', message, 503);
    this.name = 'StoreError';
  }
}

/** Options, policy or configuration rejected at load, with the path of each problem. */
export class ConfigError extends MfaError {
  constructor(message: string) {
    super('config_invalid', message, 500);
    this.name = 'ConfigError';
  }
}
