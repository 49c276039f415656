// mfakit/radius as the tests run it: a server on a free port of 127.0.0.1 over a test engine
// (test/helpers/push.ts's or phone.ts's), every line it logs kept, and `ask` sending an
// Access-Request through the real radclient with the shared secret.
import type { AccountDirectory, AuditEvent, Mfa, Stores } from '../../src/index.ts';
import { createRadiusServer, type RadiusServer, type RadiusServerOptions } from '../../src/radius/index.ts';
import { type AttributeValue, type RadiusAnswer, radclient } from './radclient.ts';
import type { TestClock } from './test-clock.ts';

export const SECRET = 'radius-shared-secret-0123';
export const PASSWORDS: Record<string, string> = { alice: 'alice-pw', bob: 'bob-pw' };
export const DIRECTORY: AccountDirectory = {
  resolve: (identifier) => (identifier in PASSWORDS ? { id: identifier } : null),
  verifyPassword: async (accountId, password) => accountId !== null && PASSWORDS[accountId] === password,
};

export interface RadiusHarness {
  mfa: Mfa;
  clock: TestClock;
  events: AuditEvent[];
  /** What the server logged. */
  logged: string[];
  port: number;
  server: RadiusServer;
  ask(
    attributes: Record<string, AttributeValue>,
    options?: { messageAuthenticator?: boolean },
  ): Promise<RadiusAnswer>;
}

export async function radiusHarness(
  made: { mfa: Mfa; clock: TestClock; events: AuditEvent[]; stores: Stores },
  options: Partial<Omit<RadiusServerOptions, 'mfa' | 'gate' | 'ephemeral'>> = {},
): Promise<RadiusHarness> {
  const logged: string[] = [];
  const server = createRadiusServer({
    mfa: made.mfa,
    gate: made.mfa.firstFactorGate(DIRECTORY),
    ephemeral: made.stores.ephemeral,
    clients: [{ address: '127.0.0.0/8', secret: SECRET }],
    log: (line) => logged.push(line),
    ...options,
  });
  const { port } = await server.listen(0, '127.0.0.1');
  return {
    ...made,
    logged,
    port,
    server,
    ask: (attributes, o) => radclient(port, SECRET, attributes, o),
  };
}
