// Passkey assertions verified per second (ES256, the WebAuthn method's own check: challenge
// taken once, signature, counter moved atomically) beside TOTP verifications with the replay
// guard, in the same run, on the memory store. Informational: a passkey costs a signature
// verification, a code an HMAC. The assertions are signed before timing starts by the test
// suite's software authenticator (what a browser would send).
import { createMemoryStores } from '../adapters/memory/index.ts';
import { createEngineContext } from '../src/engine/engine-context.ts';
import { hotp, recoveryCode, totp } from '../src/index.ts';
import type { CredentialResponse } from '../src/methods/method.ts';
import { base32Decode } from '../src/methods/otp/base32.ts';
import { totpCode } from '../src/methods/otp/otp.ts';
import { webauthn } from '../src/methods/webauthn/index.ts';
import { asCredential, asRequestOptions, SoftAuthenticator } from '../test/helpers/soft-authenticator.ts';

const ORIGIN = 'http://localhost:3000';
const N = 2_000;

type Report = (name: string, value: number, baseline: number, unit: string, target: number | null) => void;

export async function runPasskeyBench(report: Report) {
  let now = Date.UTC(2026, 0, 1);
  const clock = { now: () => now };
  const engine = createEngineContext({
    stores: createMemoryStores({ clock }),
    clock,
    issuer: 'bench',
    sealingKeys: [{ id: 'k', key: Buffer.alloc(32, 5) }],
    audit: () => {},
    methods: [totp, hotp, recoveryCode, webauthn({ rpID: 'localhost', rpName: 'bench', origins: [ORIGIN] })],
  });
  const passkey = engine.methods.get('webauthn');
  const app = engine.methods.get('totp');
  if (!passkey?.enrollment || !passkey.challenge || !app?.enrollment)
    throw new Error('bench: methods missing');

  // A registered passkey and authenticator app for alice.
  const authenticator = new SoftAuthenticator({ origin: ORIGIN });
  const draft = await passkey.enrollment.begin('alice', 'alice');
  // The options are the JSON a browser gets; the software authenticator reads them as such.
  const registration = authenticator.register(draft.fields.options as never);
  const added = await passkey.enrollment.confirm(
    'alice',
    draft.draftId,
    { credential: asCredential(registration) },
    '',
  );
  const appDraft = await app.enrollment.begin('alice', 'alice');
  const seed = base32Decode(String(appDraft.fields.secret));
  const codeAt = (ms: number) =>
    totpCode(seed, { algorithm: 'sha1', digits: 6, period: 30, epochSeconds: Math.floor(ms / 1000) });
  const appAdded = await app.enrollment.confirm('alice', appDraft.draftId, { code: codeAt(now) }, '');
  if (!added.ok || !appAdded.ok) throw new Error('bench: registration failed');

  // Challenges issued and answered before timing: N assertions, each over its own challenge.
  const records = async (kind: string) =>
    (await engine.repository.listMethods('alice', { lastUsed: false })).filter((m) => m.kind === kind);
  const keys = await records('webauthn');
  const assertions: CredentialResponse[] = [];
  for (let i = 0; i < N; i++) {
    const options = await passkey.challenge.begin('alice', keys, `bench:${i}`);
    assertions.push(asCredential(authenticator.authenticate(asRequestOptions(options))));
  }
  const start = now + 30_000;
  const codes = Array.from({ length: N }, (_, i) => codeAt(start + i * 30_000));

  let t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const r = await passkey.verify(
      'alice',
      { credential: assertions[i] ?? {} },
      await records('webauthn'),
      `bench:${i}`,
    );
    if (!r.ok) throw new Error(`bench: passkey verify failed: ${r.detail}`);
  }
  const passkeyRate = N / (Number(process.hrtime.bigint() - t) / 1e9);

  t = process.hrtime.bigint();
  let ok = 0;
  for (let i = 0; i < N; i++) {
    now = start + i * 30_000;
    const r = await app.verify('alice', { code: codes[i] ?? '' }, await records('totp'), 'bench');
    if (r.ok) ok++;
  }
  const totpRate = N / (Number(process.hrtime.bigint() - t) / 1e9);
  if (ok < N * 0.99) throw new Error('bench: TOTP verifications failed');
  report(
    'Passkey assertions verified (ES256, counter, memory store) vs TOTP verify + replay guard',
    passkeyRate,
    totpRate,
    'verifications/s',
    null,
  );
}
