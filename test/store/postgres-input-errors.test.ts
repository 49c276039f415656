// The PostgreSQL adapter given values the server cannot hold, as an attacker would send them: a
// NUL character in a text column or key (SQLSTATE 22021) and in a jsonb document (22P05). Those
// are the request's fault, not an outage: a StoreInputError (400, never audited as
// store_unavailable), not a StoreError (503, audited) — and a transaction that met one leaves
// nothing half-written. A server that is really gone is still a StoreError.
import assert from 'node:assert/strict';
import { createPostgresStores, type PostgresStores } from '../../adapters/postgres/index.ts';
import { StoreError, StoreInputError } from '../../src/errors.ts';
import { accessPassFixture, appPasswordFixture, methodFixture } from './contract/index.ts';
import { postgresTestServer } from './postgres-schemas.ts';

/** `promise` rejects with a StoreInputError of PostgreSQL (status 400), which is no StoreError. */
async function refusedAsInput(promise: Promise<unknown>, sqlState: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof StoreInputError, `expected a StoreInputError, got ${String(error)}`);
    assert.ok(!(error instanceof StoreError), 'a bad value must not read as an outage');
    assert.equal(error.status, 400);
    assert.equal(error.code, 'invalid_input');
    assert.equal(error.store, 'postgres');
    assert.equal((error.cause as { code?: unknown }).code, sqlState);
    assert.doesNotMatch(
      error.message,
      /SQLSTATE|postgres|0x00/,
      "the server's own message is not the user's",
    );
    return true;
  });
}

describe('postgres adapter: values the server cannot hold', () => {
  const server = postgresTestServer();
  let stores: PostgresStores | undefined;
  const open = async () => {
    stores = await createPostgresStores({ url: server.url, schema: server.freshSchema() });
    return stores;
  };
  afterEach(async () => {
    await stores?.close();
    stores = undefined;
  });

  it('a NUL in a counter key (the throttle keys the typed identifier) is a StoreInputError, not a StoreError', async () => {
    const s = await open();
    await refusedAsInput(s.repository.getCounter('ff-hard:12:identifier:a\u0000:password'), '22021');
    await refusedAsInput(s.repository.advance('ff-hard:12:identifier:a\u0000:password', 1), '22021');
    await refusedAsInput(s.ephemeral.put('k\u0000', 'v', 60_000), '22021');
    // The pool is fine afterwards: the next query answers.
    assert.equal(await s.repository.getCounter('ff-hard:5:alice:password'), null);
  });

  it('a NUL in a text column of a record, and in a jsonb document', async () => {
    const s = await open();
    await refusedAsInput(s.repository.insertMethod(methodFixture({ label: 'phone\u0000' })), '22021');
    assert.deepEqual(await s.repository.listMethods('u-1'), []);
    const oidc = s.oidc;
    assert.ok(oidc);
    await refusedAsInput(
      oidc.upsert('Interaction', 'i-1', { state: 'x\u0000' }, Date.now() + 60_000),
      '22P05',
    );
    assert.equal(await oidc.find('Interaction', 'i-1'), null);
  });

  it('in a transaction: rolled back, the record as it was', async () => {
    const s = await open();
    const first = accessPassFixture({ userId: 'u-1', id: 'p-1' });
    await s.repository.putAccessPass(first);
    // The replacement's second statement fails on the NUL: nothing of the transaction stays.
    await refusedAsInput(
      s.repository.putAccessPass(accessPassFixture({ userId: 'u-1', id: 'p-2', createdBy: 'admin\u0000' })),
      '22021',
    );
    assert.deepEqual(await s.repository.getAccessPass('u-1'), first);
  });

  it('an app password with a NUL in its name, an app or its user: refused as input, nothing stored', async () => {
    const s = await open();
    await refusedAsInput(s.repository.addAppPassword(appPasswordFixture({ name: 'mail\u0000' }), 5), '22021');
    await refusedAsInput(
      s.repository.addAppPassword(appPasswordFixture({ apps: ['mail', 'vpn\u0000'] }), 5),
      '22021',
    );
    await refusedAsInput(
      s.repository.addAppPassword(appPasswordFixture({ userId: 'u-1\u0000' }), 5),
      '22021',
    );
    assert.deepEqual(await s.repository.listAppPasswords('u-1'), []);
    assert.equal(await s.repository.addAppPassword(appPasswordFixture(), 5), true, 'the id is still free');
  });

  it('a server that is gone is still an outage (StoreError)', async () => {
    const s = await open();
    await s.close();
    stores = undefined;
    await assert.rejects(s.repository.getCounter('k'), (error: unknown) => error instanceof StoreError);
  });
});
