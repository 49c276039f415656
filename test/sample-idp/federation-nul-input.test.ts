/**
 * The federation server given a NUL character where a visitor can type one, over real HTTP as an
 * attacker sends it. On PostgreSQL a NUL was a false outage: the login form's `identifier=a%00`
 * (the throttle keys the typed identifier) and `/auth?…&state=%00` (the Interaction's jsonb)
 * answered 503 and audited `store_unavailable:postgres` — unauthenticated, at will, enough to keep
 * an outage alert firing and hide a real one. Now: a 4xx with a clear message, no outage audited,
 * and the same answer on every store (SQLite too).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresStores, type PostgresStores } from '../../adapters/postgres/index.ts';
import { createSqliteStores } from '../../adapters/sqlite/index.ts';
import type { AuditEvent, Stores } from '../../src/index.ts';
import { Browser, inputValue } from '../helpers/browser.ts';
import { exchangeCode } from '../helpers/code-flow-rp.ts';
import {
  atRp,
  authorizationRequest,
  type FederationStack,
  redeem,
  signInAtPartner,
  startFederationStack,
  uidOf,
} from '../helpers/federation-stack.ts';
import { postgresTestServer } from '../store/postgres-schemas.ts';

interface Stack extends FederationStack {
  events: AuditEvent[];
}

/** A partner user whose display name holds a NUL (and a bell). */
const EVE = {
  id: 'eve',
  name: 'Eve\u0000 Partner\u0007',
  email: 'eve@partner.test',
  password: 'partner password eve',
};

async function startStack(stores: Stores): Promise<Stack> {
  const events: AuditEvent[] = [];
  const stack = await startFederationStack({
    stores,
    partnerUsers: [EVE],
    audit: (e) => {
      events.push(e);
    },
  });
  return { ...stack, events };
}

const outages = (s: Stack) => s.events.filter((e) => e.type === 'store_unavailable');

/** `/auth` with `state=%00`: oidc-provider's 400 invalid_request, shown here, never a redirect to the client. */
async function authWithNulState(s: Stack) {
  const url = new URL(authorizationRequest(s).url);
  url.searchParams.set('state', '\u0000');
  assert.match(url.search, /state=%00/);
  const errors: string[] = [];
  const seen = (_ctx: unknown, err: { error?: string }) => errors.push(String(err.error));
  s.fed.provider.on('authorization.error', seen);
  try {
    const page = await new Browser().go(url.href, { stopAt: atRp });
    assert.equal(page.status, 400, page.text.slice(0, 500));
    assert.equal(page.url, url.href, 'the error was redirected instead of shown');
    assert.match(page.text, /NUL character \(U\+0000\)/);
  } finally {
    s.fed.provider.off('authorization.error', seen);
  }
  assert.deepEqual(errors, ['invalid_request']);
  assert.deepEqual(outages(s), []);
}

describe('sample-idp: a NUL character in what a visitor sends', function () {
  this.timeout(60_000);

  describe('on PostgreSQL', () => {
    const server = postgresTestServer();
    let stores: PostgresStores | undefined;
    let s: Stack | undefined;
    const start = async () => {
      stores = await createPostgresStores({ url: server.url, schema: server.freshSchema() });
      s = await startStack(stores);
      return s;
    };
    afterEach(async () => {
      await s?.close();
      await stores?.close();
      s = undefined;
      stores = undefined;
    });

    it('the login form with identifier a%00: 401 "wrong user name or password", no outage audited', async () => {
      const s = await start();
      const b = new Browser();
      const first = await b.go(authorizationRequest(s).url, { stopAt: atRp });
      const uid = uidOf(first);
      const form = await b.go(`${s.fedUrl}/interaction/${uid}/identify`, {
        form: { identifier: 'a\u0000', _csrf: inputValue(first.text, '_csrf') },
        stopAt: atRp,
      });
      assert.equal(form.status, 200, form.text.slice(0, 500));
      for (const identifier of ['a\u0000', '\u0000', 'alice\u0000']) {
        const page = await b.go(`${s.fedUrl}/interaction/${uid}/login`, {
          form: { identifier, password: 'alice password', _csrf: inputValue(form.text, '_csrf') },
          stopAt: atRp,
        });
        assert.equal(page.status, 401, `${JSON.stringify(identifier)}: ${page.text.slice(0, 500)}`);
        assert.match(page.text, /name="password"/);
      }
      assert.deepEqual(outages(s), [], 'a NUL in the identifier was audited as a store outage');
      // The interaction is still good: the right identifier signs in.
      const ok = await b.go(`${s.fedUrl}/interaction/${uid}/login`, {
        form: { identifier: 'alice', password: 'alice password', _csrf: inputValue(form.text, '_csrf') },
        stopAt: atRp,
      });
      assert.ok(ok.status < 400, `${ok.status} ${ok.url}`);
    });

    it('GET /auth?…&state=%00: 400 invalid_request, no outage audited', async () => {
      await authWithNulState(await start());
    });

    it('POST /token with code=%00: a 4xx OAuth error, no outage audited', async () => {
      const s = await start();
      const request = authorizationRequest(s);
      const res = await exchangeCode(s.fedUrl, '\u0000', request);
      const body = (await res.json()) as { error?: string };
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${JSON.stringify(body)}`);
      assert.ok(body.error === 'invalid_request' || body.error === 'invalid_grant', JSON.stringify(body));
      assert.deepEqual(outages(s), []);
    });

    it("a partner user whose name holds a NUL signs in (the stored profile's name without it)", async () => {
      const s = await start();
      const b = new Browser();
      const { request, page } = await signInAtPartner(b, s, { username: EVE.id, password: EVE.password });
      const { claims, userinfo } = await redeem(s, page, request);
      assert.equal(userinfo.name, 'Eve Partner');
      assert.ok(claims.sub);
      assert.deepEqual(outages(s), []);
    });
  });

  describe('on SQLite', () => {
    let dir = '';
    let stores: Stores | undefined;
    let s: Stack | undefined;
    afterEach(async () => {
      await s?.close();
      await stores?.close?.();
      if (dir) await rm(dir, { recursive: true, force: true });
      s = undefined;
      stores = undefined;
    });

    it('GET /auth?…&state=%00 answers the same 400 invalid_request as on PostgreSQL', async () => {
      dir = await mkdtemp(join(tmpdir(), 'mfakit-nul-'));
      stores = createSqliteStores({ path: join(dir, 'federation.sqlite') });
      s = await startStack(stores);
      await authWithNulState(s);
    });
  });
});
