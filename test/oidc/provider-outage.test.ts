// A store that fails only where oidc-provider saves the session, at the very end of a request
// that had already answered: the browser finishing its MFA step resumes /auth/:uid, the provider
// issues a code and answers with a redirect to the client, then saving the session fails. The
// redirect (and the code in it) must not leave: 503 temporarily_unavailable, Retry-After, no
// Location, and the outage audited. The failure is injected around the memory OIDC store
// (a StoreError from the Session model's writes while `failing`): the provider and mfakit run as is.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { systemClock } from '../../src/engine/capabilities.ts';
import { StoreError } from '../../src/errors.ts';
import type { OidcStore, Stores } from '../../src/store/ports.ts';
import { OUTAGE_ANSWER } from '../../src/web/outage.ts';
import { codeFor } from '../helpers/app.ts';
import { Browser } from '../helpers/browser.ts';
import {
  atRp,
  enrolDirect,
  password,
  signIn,
  startAuthorization,
  startTestIdp,
  submitCode,
  type TestIdp,
} from '../helpers/oidc-idp.ts';

/** The memory stores, whose OIDC store refuses to save a Session while `fault.on`. */
function storesFailingSessionSaves(fault: { on: boolean }): Stores {
  const stores = createMemoryStores({ clock: systemClock });
  const oidc = stores.oidc as OidcStore;
  const failing: OidcStore = {
    upsert: (model, id, payload, expiresAtMs) => {
      if (fault.on && model === 'Session')
        return Promise.reject(new StoreError('memory: injected failure', { store: 'memory' }));
      return oidc.upsert(model, id, payload, expiresAtMs);
    },
    find: (model, id) => oidc.find(model, id),
    findByUid: (model, uid) => oidc.findByUid(model, uid),
    findByUserCode: (model, code) => oidc.findByUserCode(model, code),
    consume: (model, id, at) => oidc.consume(model, id, at),
    destroy: (model, id) => oidc.destroy(model, id),
    revokeByGrantId: (model, grantId) => oidc.revokeByGrantId(model, grantId),
  };
  return { ...stores, oidc: failing };
}

describe('oidc: a store failing after oidc-provider answered', () => {
  let idp: TestIdp | undefined;
  afterEach(async () => {
    await idp?.close();
    idp = undefined;
  });

  it('the code in the redirect does not leave: 503 temporarily_unavailable, no Location, audited', async () => {
    const fault = { on: false };
    idp = await startTestIdp({ stores: storesFailingSessionSaves(fault) });
    const secret = await enrolDirect(idp, 'alice');
    const b = new Browser();
    const { page } = await startAuthorization(b, idp);
    const prompt = await password(b, idp, page, 'alice');
    assert.match(prompt.url, /\/mfa$/);

    fault.on = true;
    const sent = await submitCode(b, idp, prompt, codeFor(secret, idp.clock));
    assert.equal(sent.status, 503, sent.text.slice(0, 300));
    assert.match(new URL(sent.url).pathname, /^\/auth\//, 'it failed where the provider resumed');
    assert.ok(!atRp(new URL(sent.url)), 'no code reached the client');
    assert.equal(sent.headers.get('location'), null);
    assert.equal(sent.headers.get('retry-after'), String(OUTAGE_ANSWER.retryAfterSeconds));
    assert.equal(sent.headers.get('cache-control'), 'no-store');
    assert.deepEqual(JSON.parse(sent.text), {
      error: 'temporarily_unavailable',
      error_description: OUTAGE_ANSWER.message,
    });
    const reported = idp.events.filter((e) => e.type === 'store_unavailable');
    assert.equal(reported.length, 1);
    assert.equal(reported[0]?.type === 'store_unavailable' && reported[0].detail, 'memory');

    fault.on = false;
    idp.clock.advance(30_000);
    const again = await signIn(new Browser(), idp, 'alice', { secret });
    assert.equal(again.claims.sub, 'alice');
  });
});
