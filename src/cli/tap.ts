// `mfakit tap issue|show|revoke`: Temporary Access Passes in an application's stores (`--store`
// or `--db`, stores.ts).
// `issue` stores a keyed hash the application must verify, so it requires the application's
// sealing key and key id (exit 2 without them) and prints the pass once. Bad arguments, a
// lifetime outside the bounds included, exit 2 with a message.
import type { Mfa } from '../engine/create-mfa.ts';
import type { AccessPassStatus } from '../engine/temporary-access-pass.ts';
import { MfaError } from '../errors.ts';
import { identifier, LOCAL, parse, parseMinutes, positionals } from './args.ts';
import type { EngineSource } from './engine.ts';
import type { CliIo, Open } from './main.ts';
import { iso } from './print.ts';
import { STORE_OPTIONS, storeOf } from './stores.ts';
import { UsageError } from './usage.ts';

function parseStart(value: string): number {
  // A zone is required: a local time would mean something else on every machine.
  const ms = /(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms))
    throw new UsageError(
      `--start must be an ISO date-time with a zone, e.g. 2026-12-01T09:00:00Z (got "${value}")`,
    );
  return ms;
}

function statusJson(s: AccessPassStatus) {
  return {
    ...s,
    createdAt: iso(s.createdAt),
    startsAt: iso(s.startsAt),
    expiresAt: iso(s.expiresAt),
    usedAt: iso(s.usedAt),
  };
}

function statusText(s: AccessPassStatus): string {
  const use = s.oneTime ? `one-time${s.usedAt === null ? '' : `, used ${iso(s.usedAt)}`}` : 'multi-use';
  return [
    `Temporary Access Pass for ${s.userId}: ${s.state}`,
    `  id          ${s.id}`,
    `  valid from  ${iso(s.startsAt)}`,
    `  valid until ${iso(s.expiresAt)}`,
    `  use         ${use}`,
    `  issued      ${iso(s.createdAt)}${s.createdBy === null ? '' : ` by ${s.createdBy}`}`,
    '',
  ].join('\n');
}

export async function tap(args: string[], io: CliIo, open: Open): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === undefined) throw new UsageError('tap needs a subcommand: issue, show or revoke');
  const { values, positionals: got } = parse(rest, {
    user: { type: 'string' },
    ...STORE_OPTIONS,
    lifetime: { type: 'string' },
    once: { type: 'boolean' },
    multi: { type: 'boolean' },
    start: { type: 'string' },
    json: { type: 'boolean' },
  });
  const allow = (...names: string[]) => {
    for (const name of ['lifetime', 'once', 'multi', 'start', 'json'])
      if (values[name as keyof typeof values] !== undefined && !names.includes(name))
        throw new UsageError(`tap ${sub} does not take --${name}`);
  };
  if (!['issue', 'show', 'revoke'].includes(sub)) throw new UsageError(`unknown tap subcommand "${sub}"`);
  positionals(got, [], `tap ${sub}`);
  if (!values.user) throw new UsageError(`tap ${sub} needs --user ID`);
  const spec = storeOf(values, io.env);
  if (!spec) throw new UsageError(`tap ${sub} needs --store (or --db FILE)`);
  const user = identifier('user', values.user);
  const source: EngineSource = { kind: 'store', spec };

  if (sub === 'show') {
    allow('json');
    const status = await (await open(source, io.env)).accessPasses.get(user);
    if (values.json) io.stdout(`${JSON.stringify(status && statusJson(status), null, 2)}\n`);
    else io.stdout(status ? statusText(status) : `${user} has no Temporary Access Pass\n`);
    return;
  }
  if (sub === 'revoke') {
    allow();
    if (!(await (await open(source, io.env)).accessPasses.revoke(user, LOCAL)))
      throw new MfaError('access_pass_not_found', `${user} has no Temporary Access Pass; nothing revoked`);
    io.stdout(`revoked the Temporary Access Pass of ${user}\n`);
    return;
  }

  allow('lifetime', 'once', 'multi', 'start', 'json');
  if (!io.env.MFAKIT_SEALING_KEYS && (!io.env.MFAKIT_SEALING_KEY || !io.env.MFAKIT_SEALING_KEY_ID))
    throw new UsageError(
      "tap issue needs the application's sealing key, or the application could not verify the pass: " +
        'set MFAKIT_SEALING_KEY (base64, 32 bytes) and MFAKIT_SEALING_KEY_ID (its id in the sealingKeys option), ' +
        'or MFAKIT_SEALING_KEYS',
    );
  if (values.once && values.multi) throw new UsageError('--once and --multi exclude each other');
  const lifetimeMinutes =
    values.lifetime === undefined ? undefined : parseMinutes('--lifetime', values.lifetime);
  const maxLifetime = io.env.MFAKIT_TAP_MAX_LIFETIME;
  const maxLifetimeMinutes =
    maxLifetime === undefined || maxLifetime === ''
      ? undefined
      : parseMinutes('MFAKIT_TAP_MAX_LIFETIME', maxLifetime);
  const startsAt = values.start === undefined ? undefined : parseStart(values.start);
  let mfa: Mfa;
  try {
    mfa = await open(source, io.env, {
      ...(maxLifetimeMinutes !== undefined ? { temporaryAccessPass: { maxLifetimeMinutes } } : {}),
    });
  } catch (err) {
    // A maximum the options refuse (over 30 days, under the default lifetime) is the operator's input.
    if (err instanceof MfaError && err.code === 'config_invalid' && maxLifetimeMinutes !== undefined)
      throw new UsageError(`MFAKIT_TAP_MAX_LIFETIME: ${err.message}`);
    throw err;
  }
  const oneTime = values.once ? true : values.multi ? false : undefined;
  let issued: Awaited<ReturnType<Mfa['accessPasses']['issue']>>;
  try {
    issued = await mfa.accessPasses.issue(user, { lifetimeMinutes, oneTime, startsAt }, LOCAL);
  } catch (err) {
    if (err instanceof MfaError && err.code === 'access_pass_invalid') {
      const hint = /lifetime/.test(err.message)
        ? ' (MFAKIT_TAP_MAX_LIFETIME raises the maximum, up to 30d)'
        : '';
      throw new UsageError(`${err.message}${hint}`);
    }
    throw err;
  }
  if (values.json) {
    io.stdout(
      `${JSON.stringify({ ...issued, startsAt: iso(issued.startsAt), expiresAt: iso(issued.expiresAt) }, null, 2)}\n`,
    );
    return;
  }
  const minutes = Math.round((issued.expiresAt - issued.startsAt) / 60_000);
  io.stdout(
    [
      `Temporary Access Pass for ${user} (shown only now; it is stored as a keyed hash):`,
      '',
      `  ${issued.pass}`,
      '',
      `valid from ${iso(issued.startsAt)} until ${iso(issued.expiresAt)} (${minutes} minutes), ${issued.oneTime ? 'one-time use' : 'multi-use'}`,
      `id ${issued.id}; it replaces any earlier pass of ${user}`,
      '',
    ].join('\n'),
  );
}
