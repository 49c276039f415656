// `mfakit reseal` and the phone methods: a number registered for text messages under key A is
// re-sealed under B, and once A is dropped the phone still gets its code and signs in — the
// number opened, never stored in the clear; a keypad call's PIN likewise. On SQLite.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStores } from '../../adapters/sqlite/index.ts';
import type { SealingKey } from '../../src/crypto/seal.ts';
import { createMfa, type MfaOptions, outboxDelivery, voiceMethod } from '../../src/index.ts';
import { mfakitInProcess } from '../helpers/mfakit-cli.ts';
import { CTX, lastCode, PHONE_METHODS, pendingSignIn, registerPhone } from '../helpers/phone.ts';
import { testClock } from '../helpers/test-clock.ts';

const A = { id: 'keyA', key: Buffer.alloc(32, 0xa1) };
const B = { id: 'keyB', key: Buffer.alloc(32, 0xb2) };
const keysEnv = (...keys: SealingKey[]) => ({
  MFAKIT_SEALING_KEYS: keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(','),
});

/** An engine over the SQLite file at `path` with these methods, under the keys given; its outbox. */
function engineOn(path: string, methods: MfaOptions['methods']) {
  const clock = testClock();
  const outbox = outboxDelivery({ print: false });
  const app = (keys: SealingKey[]) =>
    createMfa({
      stores: createSqliteStores({ path, clock }),
      clock,
      issuer: 'App',
      sealingKeys: keys,
      audit: () => {},
      methods,
      phone: { delivery: outbox },
    });
  return { app, outbox };
}

/** `mfakit reseal` on the SQLite file at `path`, B current and A old: the one method re-sealed. */
async function resealUnderB(path: string) {
  const run = await mfakitInProcess(['reseal', '--store', `sqlite:${path}`], keysEnv(B, A));
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /methods: 1 re-sealed/);
}

describe('mfakit reseal: phone numbers', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mfakit-reseal-phone-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('re-seals a registered number under the new key; with the old key gone the phone still signs in', async () => {
    const path = join(dir, 'app.sqlite');
    const { app, outbox } = engineOn(path, PHONE_METHODS);
    const before = app([A]);
    const methodId = await registerPhone(before, outbox, 'alice', 'sms', '+44 7700 900123');
    await resealUnderB(path);

    const after = app([B]);
    const pendingId = await pendingSignIn(after, 'alice');
    const sent = await after.sendPendingCode(pendingId, methodId, CTX);
    assert.ok(sent.ok);
    assert.equal(outbox.last()?.to, '+447700900123');
    assert.ok((await after.verifyPending(pendingId, { code: lastCode(outbox) }, CTX)).ok);
  });

  it('re-seals a call PIN with its number: with the old key gone, PIN then number still approves', async () => {
    const path = join(dir, 'pin.sqlite');
    const { app, outbox } = engineOn(path, [voiceMethod({ answer: 'keypad', pin: true })]);
    const before = app([A]);
    const methodId = await registerPhone(before, outbox, 'alice', 'voice', '+44 7700 900123', {
      pin: '2580',
    });
    await resealUnderB(path);

    const after = app([B]);
    const pendingId = await pendingSignIn(after, 'alice');
    const sent = await after.sendPendingCode(pendingId, methodId, CTX);
    assert.ok(sent.ok && sent.number !== undefined);
    const callId = outbox.lastCall()?.callId;
    const answered = await after.phoneCalls.keypad({ callId, keys: `2580${sent.number}#` }, CTX);
    assert.equal(answered.outcome, 'approved');
    assert.ok((await after.verifyPending(pendingId, { push: true }, CTX)).ok);
  });
});
