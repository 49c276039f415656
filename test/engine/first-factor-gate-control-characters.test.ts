/**
 * The first-factor gate against identifiers with control characters, as an attacker types them:
 * `a\u0000` on PostgreSQL once made the throttle's key (`ff-hard:identifier:a\u0000…`) fail the
 * query, which answered 503 and audited a false `store_unavailable` on every attempt — an
 * unauthenticated way to keep an outage alert firing. Such an identifier is refused like an
 * over-long one: invalid_credentials, no store read, no outage.
 */
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createPostgresStores, type PostgresStores } from '../../adapters/postgres/index.ts';
import { type AccountDirectory, type AuditEvent, createMfa, type Stores } from '../../src/index.ts';
import { testClock } from '../helpers/test-clock.ts';
import { postgresTestServer } from '../store/postgres-schemas.ts';

const CONTROL_IDENTIFIERS = [
  'a\u0000',
  '\u0000',
  'ali\u0000ce',
  'alice\u0007',
  'a\u001bb',
  'a\u007f',
  'a\u001f',
];

function harness(stores: Stores) {
  const events: AuditEvent[] = [];
  const resolved: string[] = [];
  const checked: Array<string | null> = [];
  const mfa = createMfa({
    stores,
    clock: testClock(),
    issuer: 'Test',
    sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 7) }],
    audit: (e) => {
      events.push(e);
    },
  });
  const directory: AccountDirectory = {
    resolve(identifier) {
      resolved.push(identifier);
      return identifier === 'alice' ? { id: 'alice', email: 'alice@contoso.test' } : null;
    },
    async verifyPassword(accountId, password) {
      checked.push(accountId);
      return accountId === 'alice' && password === 'alice-pw';
    },
    homeRealmOf: (email) => (email.endsWith('@partner.test') ? 'partner' : null),
  };
  const gate = mfa.firstFactorGate(directory);
  const attempt = (identifier: string, secret = 'alice-pw') =>
    gate.signIn({ identifier, secret, kind: 'password', ip: '198.51.100.7', requestId: 'r1' });
  return { mfa, gate, attempt, events, resolved, checked };
}

/** The attack and what it must not do, on `stores`. */
async function refusesControlCharacters(stores: Stores) {
  const h = harness(stores);
  for (const identifier of CONTROL_IDENTIFIERS) {
    assert.deepEqual(
      await h.attempt(identifier),
      { ok: false, error: 'invalid_credentials' },
      JSON.stringify(identifier),
    );
    assert.equal(await h.gate.discover(identifier), null);
    // Also in the partner's domain: no home-realm redirect for an identifier that is none.
    assert.equal(await h.gate.discover(`x\u0000@partner.test`), null);
  }
  assert.deepEqual(h.resolved, [], 'an identifier with a control character reached the directory');
  assert.deepEqual(h.checked, [], 'a password was checked for it');
  assert.deepEqual(
    h.events.filter((e) => e.type === 'store_unavailable'),
    [],
    'a refused identifier was audited as a store outage',
  );
  // The account itself is untouched (no failures counted against it) and still signs in; a
  // pasted trailing newline is whitespace, trimmed as before.
  assert.equal((await h.attempt('alice\n')).ok, true);
}

describe('first-factor gate: identifiers with control characters', () => {
  it('on memory stores: invalid_credentials, no directory look-up, no password check', async () => {
    await refusesControlCharacters(createMemoryStores());
  });

  describe('on PostgreSQL', () => {
    const server = postgresTestServer();
    let stores: PostgresStores | undefined;
    afterEach(async () => {
      await stores?.close();
      stores = undefined;
    });

    it("'a\\u0000' is invalid_credentials, not a 503 and a store_unavailable audit", async () => {
      stores = await createPostgresStores({ url: server.url, schema: server.freshSchema() });
      await refusesControlCharacters(stores);
    });
  });
});
