// The one rule for a request id in an audit event: 1-128 characters of [A-Za-z0-9._:-] (what
// proxies and tracing headers use). Anything else — oversized, control characters or CR/LF,
// markup, a repeated header — is dropped, so an event carries no request id rather than text
// a client chose for the audit log. Applied where an HTTP request is read (src/web/request-id.ts)
// and again by the engine's audit, for callers of the engine API.

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function safeRequestId(value: unknown): string | undefined {
  return typeof value === 'string' && SAFE_REQUEST_ID.test(value) ? value : undefined;
}
