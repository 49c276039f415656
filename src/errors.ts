// The errors mfakit throws. Each has a stable `code`, so callers branch on the code, never on
// the message, and a `status`, the HTTP status the integrations answer with. StoreError (a
// store failed: fail closed), StoreInputError (a store refused a value it cannot hold: bad
// input, not an outage) and ConfigError (a configuration mfakit cannot use) are MfaErrors.

/** An error with a stable `code` and the HTTP `status` an integration answers it with. */
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

/**
 * The store could not be reached or answered nonsense: callers fail closed. `store` names the
 * store that failed (`redis`, `postgres`…) when the adapter says; `cause` is the client's own error.
 */
export class StoreError extends MfaError {
  readonly store: string | undefined;
  constructor(message: string, options: { store?: string; cause?: unknown } = {}) {
    super('store_unavailable', message, 503);
    this.name = 'StoreError';
    this.store = options.store;
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

/**
 * A store refused a value it cannot hold (PostgreSQL's data exceptions, SQLSTATE class 22: a NUL
 * character in text or jsonb, a malformed byte sequence…): the request's input is at fault, not
 * the store, so it is answered 400 and never reported as an outage. Deliberately not a
 * StoreError. The message is the user's; the store's own error is `cause`.
 */
export class StoreInputError extends MfaError {
  readonly store: string | undefined;
  constructor(options: { store?: string; cause?: unknown } = {}) {
    super(
      'invalid_input',
      'The request contains characters that cannot be stored (such as a NUL byte). Check what you typed and try again.',
      400,
    );
    this.name = 'StoreInputError';
    this.store = options.store;
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

/** Options, policies or integration configuration mfakit cannot use; the message says what and where. */
export class ConfigError extends MfaError {
  constructor(message: string) {
    super('config_invalid', message, 500);
    this.name = 'ConfigError';
  }
}

/** Too many requests of a kind (codes sent to a phone): try again after `retryAfterSeconds`. */
export class SlowDownError extends MfaError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super('slow_down', message, 429);
    this.name = 'SlowDownError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A message the provider would not take (a text message, a call): 503 `delivery_failed`. */
export class DeliveryError extends MfaError {
  constructor(options: { cause?: unknown } = {}) {
    super('delivery_failed', 'The code could not be sent. Try again in a moment.', 503);
    this.name = 'DeliveryError';
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

/** A method refuses to send anything to this user now (push notifications after a fraud report): 403. */
export class SendBlockedError extends MfaError {
  constructor(message: string) {
    super('send_blocked', message, 403);
    this.name = 'SendBlockedError';
  }
}
