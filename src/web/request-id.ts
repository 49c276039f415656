// The request id of an HTTP request for its audit events: the client's X-Request-Id when it
// passes the rule of src/audit/request-id.ts, else none. Every integration (Express router
// and guard, policy admin API, Passport strategy, oidc-provider routes) reads it here.
import type { IncomingMessage } from 'node:http';
import { safeRequestId } from '../audit/request-id.ts';

export function requestIdOf(req: IncomingMessage): string | undefined {
  return safeRequestId(req.headers['x-request-id']);
}
