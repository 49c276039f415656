// The method interface from outside the package: a method written against `SignInMethod` (a
// printed card of one-time codes, used in order) and listed in `createMfa({ methods })` is
// registered through the router's JSON API, completes a first sign-in, signs in later with its
// codes (once each), is listed with its own description, and releases what it held when removed —
// with no change to the engine, the pages or the API. Adding a method is one folder and one line.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import request from 'supertest';
import {
  codeOf,
  type EnrollmentDraft,
  hotp,
  type MethodDefinition,
  type MethodRecord,
  recoveryCode,
  totp,
} from '../../src/index.ts';
import { html } from '../../src/web/html.ts';
import { makeApp } from '../helpers/app.ts';
import { passwordStep } from '../helpers/flows.ts';

const CARD_SIZE = 3;

/** A card of three six-digit codes, each accepted once and in order; its codes hashed at rest. */
function codeCard(log: { removed: string[] }): MethodDefinition {
  return {
    kind: 'code_card',
    create({ repository, ephemeral, hasher, clock, random }) {
      const hash = (userId: string, code: string) => hasher.hash('code-card', `${userId}\0${code}`);
      const hashesOf = (record: MethodRecord) => {
        const hashes = record.data.hashes;
        assert.ok(Array.isArray(hashes));
        return hashes.map(String);
      };
      return {
        kind: 'code_card',
        provides: ['hardwareOath'],
        keepsRecords: true,
        accepts: (input) => /^\d{6}$/.test(codeOf(input) ?? ''),
        async verify(userId, input, candidates) {
          for (const record of candidates) {
            const position = hashesOf(record).indexOf(hash(userId, codeOf(input) ?? ''));
            if (position < 0 || record.counterKey === null) continue;
            const fresh = await repository.recordUse({
              counterKey: record.counterKey,
              value: position,
              methodId: record.id,
              at: clock.now(),
            });
            return fresh
              ? { ok: true, record, amr: ['otp'], strength: 'hardwareOath' }
              : { ok: false, detail: 'replayed_step' };
          }
          return { ok: false, detail: 'code_mismatch' };
        },
        strength: () => 'hardwareOath',
        amr: () => ['otp'],
        describe: (record) => ({ description: 'Code card', details: { codes: hashesOf(record).length } }),
        async removed(record) {
          log.removed.push(record.id);
          if (record.counterKey) await repository.deleteCounter(record.counterKey);
        },
        enrollment: {
          strength: 'hardwareOath',
          title: 'Code card',
          async begin(_userId, _accountName): Promise<EnrollmentDraft> {
            const codes = Array.from({ length: CARD_SIZE }, () => String(randomInt(100_000, 1_000_000)));
            const draftId = random.bytes(12).toString('base64url');
            await ephemeral.put(`card:${draftId}`, JSON.stringify(codes), 60_000);
            return {
              kind: 'code_card',
              draftId,
              expiresAt: clock.now() + 60_000,
              fields: { codes },
              page: {
                title: 'Print your code card',
                instructions: html`<ol>${codes.map((c) => html`<li>${c}</li>`)}</ol>`,
                proof: 'code',
                codeLabel: 'First code of the card',
                codeHint: 'Type the first code to activate the card.',
                defaultLabel: 'Code card',
              },
            };
          },
          resume: async () => null,
          async confirm(userId, draftId, input, label) {
            const stored = await ephemeral.take(`card:${draftId}`);
            if (stored === null) return { ok: false, detail: 'draft_expired' };
            const codes = JSON.parse(stored) as string[];
            if ((codeOf(input) ?? '') !== codes[0]) return { ok: false, detail: 'code_mismatch' };
            const id = random.bytes(9).toString('base64url');
            const record: MethodRecord = {
              id,
              userId,
              kind: 'code_card',
              label: label || 'Code card',
              data: { hashes: codes.map((c) => hash(userId, c)) },
              counterKey: `code_card:${id}`,
              lookupKey: null,
              createdAt: clock.now(),
              lastUsedAt: null,
            };
            await repository.insertMethod(record);
            await repository.advance(`code_card:${id}`, 0);
            return { ok: true, method: record };
          },
        },
      };
    },
  };
}

describe('the method interface: a method added from outside the package', () => {
  it('registers, completes the first sign-in, verifies once per code, is listed and removed', async () => {
    const log = { removed: [] as string[] };
    const { app } = makeApp({ methods: [codeCard(log), totp, hotp, recoveryCode] });

    // First sign-in: the user has no method; the router registers the card through its API.
    const { agent } = await passwordStep(app, 'alice');
    const draft = await agent.post('/mfa/api/enroll/code_card').send({});
    assert.equal(draft.status, 201, JSON.stringify(draft.body));
    assert.equal(draft.body.kind, 'code_card');
    const codes = draft.body.codes as string[];
    assert.equal(codes.length, CARD_SIZE);
    const wrong = await agent
      .post('/mfa/api/enroll/totp/confirm')
      .send({ draftId: draft.body.draftId, code: codes[0] });
    assert.equal(wrong.status, 400, 'a draft is confirmed by its own method only');
    const done = await agent
      .post('/mfa/api/enroll/code_card/confirm')
      .send({ draftId: draft.body.draftId, code: codes[0] });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.status, 'complete');
    assert.deepEqual(done.body.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(done.body.recoveryCodes.length, 10);

    // Listed with its own description and details, no secret.
    const listed = await agent.get('/mfa/api/methods');
    assert.equal(listed.status, 200);
    const [card] = listed.body.methods;
    assert.equal(card.kind, 'code_card');
    assert.equal(card.description, 'Code card');
    assert.deepEqual(card.details, { codes: CARD_SIZE });
    assert.equal(JSON.stringify(listed.body).includes(codes[1] ?? '-'), false);
    await agent.post('/logout');

    // A later sign-in: the card's next code works once; the one used at registration never again.
    const later = (await passwordStep(app, 'alice')).agent;
    assert.equal((await later.post('/mfa/api/verify').send({ code: codes[0] })).status, 401);
    const second = await later.post('/mfa/api/verify').send({ code: codes[1] });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.deepEqual(second.body.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(second.body.acr, 'urn:mfakit:acr:mfa');
    await later.post('/logout');
    const replay = (await passwordStep(app, 'alice')).agent;
    assert.equal((await replay.post('/mfa/api/verify').send({ code: codes[1] })).status, 401, 'replayed');

    // The settings page offers every method users may add, the new one among them.
    const fresh = (await passwordStep(app, 'alice')).agent;
    assert.equal((await fresh.post('/mfa/api/verify').send({ code: codes[2] })).status, 200);
    const settings = await fresh.get('/mfa/settings').set('Accept', 'text/html');
    assert.match(settings.text, /href="\/mfa\/enroll\?method=code_card">Add a method: Code card/);
    assert.match(settings.text, /href="\/mfa\/enroll\?method=totp">Add a method: Authenticator app/);

    // Removing it releases what it held.
    const removed = await fresh.delete(`/mfa/api/methods/${card.id}`);
    assert.equal(removed.status, 204);
    assert.deepEqual(log.removed, [card.id]);
  });

  it('refuses an unknown kind and a kind listed twice, at start-up and in URLs', async () => {
    assert.throws(() => makeApp({ methods: [totp, totp] }), /methods: totp is listed twice/);
    assert.throws(() => makeApp({ methods: [] }), /enable at least one method/);
    const { app } = makeApp({ methods: [totp, recoveryCode] });
    const { agent } = await passwordStep(app, 'bob');
    const hotpEnroll = await agent.post('/mfa/api/enroll/hotp').send({});
    assert.equal(hotpEnroll.status, 404, 'hotp has no user registration');
    assert.equal((await agent.post('/mfa/api/enroll/NOPE!').send({})).status, 400);
    assert.equal((await request(app).post('/mfa/api/enroll/code_card').send({})).status, 401);
  });
});
