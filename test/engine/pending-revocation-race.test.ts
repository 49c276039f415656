// A revocation racing the last step of a pending sign-in (registering its first method): one that
// lands while the method is being written voids the sign-in and the method goes again; one that
// lands after the sign-in was last found current (while its recovery codes are written) is later
// than the session's sign-in time, so the session it produced is refused at its next request.
// The memory stores, with one repository call made to run the admin's revocation first; and two
// engines over one store with no invalidation channel, as two processes, where one revokes
// while the other holds a cached answer.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { ADMIN, confirmTotpDraft, type TapEngine, tapEngine, USER } from '../helpers/access-pass-engine.ts';
import { testClock } from '../helpers/test-clock.ts';

/** An engine whose repository runs the admin's revokeSessions (a millisecond later) just before `racing`. */
function racingEngine(racing: 'insertMethod' | 'replaceRecoveryCodes'): TapEngine {
  const clock = testClock();
  const memory = createMemoryStores({ clock });
  let t: TapEngine | undefined;
  let fired = false;
  const repository = new Proxy(memory.repository, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      if (name !== racing) return value.bind(target);
      return async (...args: unknown[]) => {
        if (!fired && t) {
          fired = true;
          clock.advance(1);
          await t.mfa.admin.revokeSessions('bob', ADMIN);
        }
        return value.apply(target, args);
      };
    },
  });
  t = tapEngine({ clock, stores: { ...memory, repository } });
  return t;
}

/** Bob has no method: his password sign-in waits for his first; the draft of an authenticator app. */
async function firstMethodDraft(t: TapEngine) {
  const start = await t.mfa.beginSignIn({ userId: 'bob', amr: ['pwd'], ip: USER.ip });
  assert.ok(start.status === 'mfa' && start.pending.mustEnroll, start.status);
  const draft = await t.mfa.beginPendingEnrollment(start.pending.id, 'totp', 'bob');
  assert.ok(draft);
  const confirm = () => confirmTotpDraft(t, start.pending.id, draft, 'phone');
  return { confirm };
}

describe('a revocation racing the completion of a pending sign-in', () => {
  it('lands while the method is written: the sign-in is refused and the method removed', async () => {
    const t = racingEngine('insertMethod');
    const { confirm } = await firstMethodDraft(t);
    assert.deepEqual(await confirm(), { ok: false, error: 'pending_expired' });
    assert.deepEqual(await t.mfa.methods.list('bob'), []);
  });

  it('lands after the sign-in was last found current: the session it made is refused at once', async () => {
    const t = racingEngine('replaceRecoveryCodes');
    const { confirm } = await firstMethodDraft(t);
    const done = await confirm();
    assert.ok(done.ok, JSON.stringify(done));
    assert.equal(await t.mfa.isCurrent(done.stamp), false, 'the session is older than the revocation');
  });

  it("is another process's, within its cache's second and with no channel: the completing step reads the store", async () => {
    const clock = testClock();
    const shared = createMemoryStores({ clock });
    const signingIn = tapEngine({ clock, stores: shared });
    const admin = tapEngine({ clock, stores: shared });
    const { confirm } = await firstMethodDraft(signingIn);
    clock.advance(1);
    await admin.mfa.admin.revokeSessions('bob', ADMIN);
    // The signing-in process cached Bob's epoch a moment ago (its draft read the pending sign-in)
    // and the clock has not moved past its second: only a read of the store sees the revocation.
    assert.deepEqual(await confirm(), { ok: false, error: 'pending_expired' });
    assert.deepEqual(await signingIn.mfa.methods.list('bob'), [], 'the method it wrote is removed');
  });
});
