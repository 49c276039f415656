// A user's default sign-in method through the engine: chosen among their own methods only,
// listed as the default, offered first by every prompt (sign-in and step-up), and gone with the
// method — removed by the user or by an administrator's reset.
import assert from 'node:assert/strict';
import { recoveryCode, smsMethod } from '../../src/index.ts';
import { CTX, keypadMfa, lastCode, pendingSignIn, phoneMfa, registerPhone } from '../helpers/phone.ts';

const PHONE = '+44 7700 900123';

async function withThreePhones() {
  const built = keypadMfa({ answer: 'code' });
  const { mfa, outbox } = built;
  const sms = await registerPhone(mfa, outbox, 'alice', 'sms', PHONE);
  const voice = await registerPhone(mfa, outbox, 'alice', 'voice', PHONE);
  const second = await registerPhone(mfa, outbox, 'alice', 'sms', '+44 7700 900456');
  return { ...built, sms, voice, second };
}

describe('default sign-in method', () => {
  it('is none until chosen; then listed as the default and offered first by the prompt', async () => {
    const { mfa, outbox, events, sms, voice, second } = await withThreePhones();
    assert.ok((await mfa.methods.list('alice')).every((m) => !m.isDefault));
    const before = await mfa.pendingPrompt(await pendingSignIn(mfa, 'alice'));
    assert.deepEqual(
      before.senders.map((s) => s.methodId),
      [sms, voice, second],
    );
    assert.equal(before.defaultMethod, undefined);

    assert.equal(await mfa.methods.setDefault('alice', second, CTX), true);
    const listed = await mfa.methods.list('alice');
    assert.deepEqual(
      listed.filter((m) => m.isDefault).map((m) => m.id),
      [second],
    );
    const prompt = await mfa.pendingPrompt(await pendingSignIn(mfa, 'alice'));
    assert.deepEqual(
      prompt.senders.map((s) => s.methodId),
      [second, sms, voice],
    );
    assert.deepEqual(prompt.defaultMethod, { methodId: second, kind: 'sms', sends: true });
    assert.ok(
      events.some(
        (e) => e.type === 'default_method_changed' && e.methodId === second && e.methodKind === 'sms',
      ),
    );

    // Another choice replaces it; a step-up's prompt leads with it too.
    assert.equal(await mfa.methods.setDefault('alice', voice, CTX), true);
    const pendingId = await pendingSignIn(mfa, 'alice');
    const sent = await mfa.sendPendingCode(pendingId, sms, CTX);
    assert.ok(sent.ok);
    const signedIn = await mfa.verifyPending(pendingId, { code: lastCode(outbox) }, CTX);
    assert.ok(signedIn.ok);
    const stepUp = await mfa.stepUpPrompt(signedIn.stamp);
    assert.deepEqual(
      stepUp.senders.map((s) => s.methodId),
      [voice, sms, second],
    );
    assert.deepEqual(stepUp.defaultMethod, { methodId: voice, kind: 'voice', sends: true });
  });

  it('only one of the user’s own methods can be the default; null chooses none', async () => {
    const { mfa, outbox, events, sms } = await withThreePhones();
    const bobs = await registerPhone(mfa, outbox, 'bob', 'sms', '+44 7700 900789');
    assert.equal(await mfa.methods.setDefault('alice', bobs, CTX), false, 'not hers');
    assert.equal(await mfa.methods.setDefault('alice', 'no-such-method', CTX), false);
    assert.ok((await mfa.methods.list('alice')).every((m) => !m.isDefault));
    assert.ok((await mfa.methods.list('bob')).every((m) => !m.isDefault));
    await mfa.methods.setDefault('alice', sms, CTX);
    assert.equal(await mfa.methods.setDefault('alice', null, CTX), true);
    assert.ok((await mfa.methods.list('alice')).every((m) => !m.isDefault));
    assert.ok(events.some((e) => e.type === 'default_method_changed' && e.methodId === undefined));
  });

  it('goes with its method: removed by the user, or by an administrator’s reset', async () => {
    const { mfa, stores, sms, voice } = await withThreePhones();
    await mfa.methods.setDefault('alice', sms, CTX);
    assert.ok(await mfa.methods.remove('alice', sms, CTX));
    assert.equal(await stores.repository.getDefaultMethod('alice'), null);
    assert.equal((await mfa.pendingPrompt(await pendingSignIn(mfa, 'alice'))).defaultMethod, undefined);
    await mfa.methods.setDefault('alice', voice, CTX);
    await mfa.admin.resetUser('alice', CTX);
    assert.equal(await stores.repository.getDefaultMethod('alice'), null);
  });

  it('a default of a method kind no longer enabled is none: nothing offers it', async () => {
    const { clock, stores, voice } = await withThreePhones();
    const before = keypadMfa({ answer: 'code' }, { clock, stores });
    await before.mfa.methods.setDefault('alice', voice, CTX);
    const textOnly = phoneMfa({ clock, stores, methods: [smsMethod(), recoveryCode] });
    const prompt = await textOnly.mfa.pendingPrompt(await pendingSignIn(textOnly.mfa, 'alice'));
    assert.equal(prompt.defaultMethod, undefined);
    assert.ok(prompt.senders.every((s) => s.kind === 'sms'));
  });
});
