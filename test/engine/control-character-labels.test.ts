/**
 * Method labels and token serials are typed by users and administrators and stored as text (a
 * serial is also the token's key). A C0 control character or DEL in one is refused before any
 * store sees it — on PostgreSQL a NUL would fail the write; on other stores it would be kept and
 * shown — with a 400 naming the problem, whichever integration calls the engine.
 */
import assert from 'node:assert/strict';
import { MfaError } from '../../src/index.ts';
import { codeFor, makeApp } from '../helpers/app.ts';
import { ctx, TOKEN_CSV } from '../helpers/policies.ts';
import { totpSecretOf } from '../helpers/totp-now.ts';

const BAD_LABELS = ['phone\u0000', 'a\u0007b', 'line\nbreak', 'del\u007f'];

const refusedLabel = (error: unknown) =>
  error instanceof MfaError &&
  error.code === 'invalid_label' &&
  error.status === 400 &&
  /control characters/.test(error.message);

describe('labels and serials with control characters', () => {
  it('enrollment.confirm refuses the label (400 invalid_label); nothing is registered and the draft still works', async () => {
    const { mfa, clock } = makeApp();
    const draft = await mfa.enrollment.begin('totp', 'bob', 'bob');
    const code = { code: codeFor(totpSecretOf(draft), clock) };
    for (const label of BAD_LABELS)
      await assert.rejects(
        mfa.enrollment.confirm('totp', 'bob', draft.draftId, code, label, ctx),
        refusedLabel,
        JSON.stringify(label),
      );
    assert.deepEqual(await mfa.methods.list('bob'), []);
    const ok = await mfa.enrollment.confirm('totp', 'bob', draft.draftId, code, 'Phone', ctx);
    assert.equal(ok.ok, true);
    assert.deepEqual(
      (await mfa.methods.list('bob')).map((m) => m.label),
      ['Phone'],
    );
  });

  it('tokens.assign refuses a label with one (invalid_label) and a serial the import would refuse; the token stays free', async () => {
    const { mfa } = makeApp();
    await mfa.tokens.importCsv(TOKEN_CSV, ctx);
    await assert.rejects(mfa.tokens.assign('HW-1', 'bob', 'Token\u0000', ctx), refusedLabel);
    for (const serial of ['HW-1\u0000', 'HW\u00001', '../HW-1'])
      await assert.rejects(
        mfa.tokens.assign(serial, 'bob', 'Token', ctx),
        (error: unknown) =>
          error instanceof MfaError &&
          error.code === 'token_unavailable' &&
          !error.message.includes('\u0000'),
        JSON.stringify(serial),
      );
    assert.deepEqual(await mfa.methods.list('bob'), []);
    assert.equal((await mfa.tokens.assign('HW-1', 'bob', 'Token', ctx)).kind, 'totp');
  });
});
