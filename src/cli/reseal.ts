// `mfakit reseal --store …`: sealing-key rotation. With the application's keys in
// MFAKIT_SEALING_KEYS (the new current key first, then the old ones), every sealed secret in
// the store — the methods' (through each method's `reseal`) and the OATH token inventory's — is
// sealed again under the current key (reseal-secrets.ts), in batches, each record with a
// compare-and-set. Prints the counts; exits 1 when a record could not be re-sealed or has a kind
// this command does not know, so the old key is not removed too early. Keyed hashes (recovery
// codes, remembered devices, Temporary Access Passes) are HMACs, not sealed: they are never
// re-hashed; they verify while their key is configured, and expire or are regenerated. Each run
// that walked the store is audited there (`secrets_resealed`, by "cli", with the counts).
import { createMemoryStores } from '../../adapters/memory/index.ts';
import type { AuditEventBody } from '../audit/events.ts';
import { createEngineContext } from '../engine/engine-context.ts';
import { MfaError } from '../errors.ts';
import { hotp } from '../methods/hotp/index.ts';
import { recoveryCode } from '../methods/recovery-code/index.ts';
import { smsMethod } from '../methods/sms/index.ts';
import { totp } from '../methods/totp/index.ts';
import { voiceMethod } from '../methods/voice/index.ts';
import { webauthn } from '../methods/webauthn/index.ts';
import { BY, LOCAL, parse, positionals } from './args.ts';
import type { CliIo } from './main.ts';
import { type ResealReport, resealStoredSecrets } from './reseal-secrets.ts';
import { configuredSealingKeys } from './sealing-keys.ts';
import { openStores, parseStoreSpec } from './stores.ts';
import { UsageError } from './usage.ts';

const DEFAULT_BATCH = 500;
/** How often a long run says how far it got (on standard error). */
const PROGRESS_EVERY_MS = 2000;

/**
 * Every built-in method, so each stored record finds the method that knows its fields. The
 * WebAuthn settings only let it be built: a passkey's record seals nothing, and nothing here
 * verifies one.
 */
const METHODS = [
  totp,
  hotp,
  recoveryCode,
  webauthn({ rpID: 'localhost', rpName: 'mfakit reseal', origins: ['http://localhost'] }),
  smsMethod(),
  voiceMethod(),
];

/** What a run did, for the store's audit. */
function auditOf(report: ResealReport, current: string, oldKeys: string[]): AuditEventBody {
  const { unknownKinds, ...methods } = report.methods;
  const unknownKind = [...unknownKinds.values()].reduce((sum, n) => sum + n, 0);
  return {
    type: 'secrets_resealed',
    detail: current,
    data: {
      by: BY,
      oldKeys,
      methods: { ...methods, unknownKind },
      tokens: { ...report.tokens },
      complete: report.failures.length === 0 && unknownKind === 0,
    },
  };
}

export async function reseal(args: string[], io: CliIo): Promise<void> {
  const { values, positionals: got } = parse(args, {
    store: { type: 'string' },
    schema: { type: 'string' },
    batch: { type: 'string' },
  });
  positionals(got, [], 'reseal');
  if (!values.store) throw new UsageError('reseal needs --store sqlite:PATH | postgres:URL | postgres');
  const spec = parseStoreSpec(values.store, values.schema, io.env);
  const batch =
    values.batch === undefined ? DEFAULT_BATCH : /^\d{1,5}$/.test(values.batch) ? Number(values.batch) : 0;
  if (batch < 1 || batch > 10_000)
    throw new UsageError(`--batch must be a number of records from 1 to 10000 (got "${values.batch}")`);
  // Never a random key: the secrets would be sealed under a key nobody has.
  const keys = configuredSealingKeys(io.env);
  if (keys === null)
    throw new UsageError(
      "reseal needs the application's sealing keys: MFAKIT_SEALING_KEYS=NEW_ID:BASE64,OLD_ID:BASE64 " +
        '(the new current key first, then every key values may still be sealed under)',
    );
  const [current, ...old] = keys.map((k) => k.id);

  const stores = await openStores(spec);
  let report: ResealReport;
  try {
    const engine = createEngineContext({
      // The walk writes nothing short-lived: an in-memory ephemeral store is all it needs.
      stores: { repository: stores.stores.repository, ephemeral: createMemoryStores().ephemeral },
      issuer: 'mfakit-cli',
      sealingKeys: keys,
      methods: METHODS,
      audit: () => {},
    });
    io.stdout(
      `Re-sealing the secrets stored in ${stores.describe} under key ${current}` +
        `${old.length > 0 ? ` (opening old values with ${old.join(', ')})` : ''}, in batches of ${batch}\n`,
    );
    let said = Date.now();
    report = await resealStoredSecrets(
      { repository: engine.repository, sealer: engine.sealer, methods: engine.methods },
      {
        batchSize: batch,
        progress: (line) => {
          if (Date.now() - said < PROGRESS_EVERY_MS) return;
          said = Date.now();
          io.stderr(`… ${line}\n`);
        },
      },
    );
    await engine.audit(null, LOCAL, auditOf(report, current as string, old));
  } finally {
    await stores.close();
  }

  const m = report.methods;
  const t = report.tokens;
  io.stdout(
    `methods: ${m.resealed} re-sealed, ${m.current} already under ${current}, ` +
      `${m.nothingSealed} with nothing sealed, ${m.gone} deleted meanwhile, ${m.failed} failed\n` +
      `OATH tokens: ${t.resealed} re-sealed, ${t.current} already under ${current}, ` +
      `${t.gone} deleted meanwhile, ${t.failed} failed\n`,
  );
  for (const line of report.failures) io.stderr(`mfakit: could not re-seal ${line}\n`);
  const unknown = [...m.unknownKinds].map(([kind, n]) => `${kind} (${n})`);
  if (unknown.length > 0)
    io.stderr(
      `mfakit: methods of kinds this command does not know were left as they were: ${unknown.join(', ')}\n`,
    );
  if (report.failures.length > 0 || unknown.length > 0)
    throw new MfaError(
      'reseal_incomplete',
      `not every stored secret is under ${current}: keep the old keys configured, fix what is listed above and run reseal again`,
    );
  io.stdout(
    `Every sealed secret is under ${current}.` +
      (old.length > 0
        ? ` Keyed hashes made under ${old.join(', ')} (recovery codes, remembered devices, Temporary Access Passes) ` +
          'are not re-sealed: they verify while their key is configured; remove it once they have expired or been regenerated.\n'
        : '\n'),
  );
}
