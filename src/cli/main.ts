// The `mfakit` command line: what-if decisions, the policy document saved in an application's
// stores (SQLite or PostgreSQL, stores.ts), Temporary Access Passes (tap.ts), a user's app
// passwords (app-passwords.ts), sealing-key rotation (reseal.ts) and audit retention (audit.ts).
// `main` returns the exit status (0 success, 1 invalid document or failed operation, 2 usage) and
// writes through `io`, so it runs the same in a terminal and in a test.
import type { Mfa } from '../engine/create-mfa.ts';
import type { WhatIfContext } from '../engine/decision.ts';
import { PolicyVersionConflict } from '../engine/policy-source.ts';
import { MfaError } from '../errors.ts';
import { whatIfReport } from '../express/what-if.ts';
import { loadPolicyFile, PolicyLoadError, parsePolicyDocument } from '../policy/load.ts';
import {
  CLIENT_APP_TYPES,
  type ClientAppType,
  type Policy,
  type PolicyDocument,
  RISK_SIGNALS,
  type RiskFacts,
  type RiskSignal,
  USER_ACTIONS,
  type UserAction,
} from '../policy/model.ts';
import type { UserMfaState } from '../store/ports.ts';
import { CIDR_RULE, isStrictCidr, quoted } from '../trust/cidr.ts';
import { appPasswords } from './app-passwords.ts';
import { LOCAL, parse, positionals } from './args.ts';
import { audit } from './audit.ts';
import { type CliEngine, openEngine } from './engine.ts';
import { formatDecision, formatPolicyList } from './print.ts';
import { reseal } from './reseal.ts';
import { STORE_OPTIONS, storeArgs, storeOf } from './stores.ts';
import { tap } from './tap.ts';
import { USAGE, UsageError } from './usage.ts';

/** Where the CLI writes, and the environment it reads (the process's, or a test's). */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
}

const USER_STATES: readonly UserMfaState[] = ['disabled', 'enabled', 'enforced'];

const list = (values: string[] | undefined): string[] =>
  (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');

function count(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value))
    throw new UsageError(`--${name} must be a non-negative integer (got "${value}")`);
  return Number(value);
}

function timeOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d{1,16}$/.test(value)) return Number(value);
  // A zone is required: a local time would mean something else on every machine.
  const ms = /(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms))
    throw new UsageError(
      `--time must be an ISO date-time with a zone (2026-12-01T09:30:00Z) or ms (got "${value}")`,
    );
  return ms;
}

function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got "${value}")`);
  return value as T;
}

/** The options that name a store, as `allow` lists them. */
const STORE = ['store', 'schema', 'db'];

const isIp = (ip: string) => !ip.includes('/') && isStrictCidr(ip);

export async function main(argv: string[], io: CliIo): Promise<number> {
  let engine: CliEngine | null = null;
  const open = async (...args: Parameters<typeof openEngine>) => {
    engine = await openEngine(...args);
    return engine.mfa;
  };
  try {
    const [command, ...rest] = argv;
    if (command === undefined) throw new UsageError('name a command');
    if (
      command === '--help' ||
      command === '-h' ||
      command === 'help' ||
      rest.includes('--help') ||
      rest.includes('-h')
    ) {
      io.stdout(USAGE);
      return 0;
    }
    if (command === 'what-if') await whatIf(rest, io, open);
    else if (command === 'policies') await policies(rest, io, open);
    else if (command === 'tap') await tap(rest, io, open);
    else if (command === 'app-passwords') await appPasswords(rest, io, open);
    else if (command === 'reseal') await reseal(rest, io);
    else if (command === 'audit') await audit(rest, io, open);
    else throw new UsageError(`unknown command "${command}"`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`mfakit: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof PolicyLoadError) {
      io.stderr(
        `mfakit: invalid policy document (${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}):\n`,
      );
      io.stderr(err.issues.map((i) => `${i.path}: ${i.message}\n`).join(''));
      return 1;
    }
    const message = err instanceof MfaError ? err.message : ((err as Error)?.message ?? String(err));
    io.stderr(`mfakit: ${message}\n`);
    if (!(err instanceof MfaError) && io.env.MFAKIT_DEBUG) io.stderr(`${(err as Error)?.stack}\n`);
    return 1;
  } finally {
    await (engine as CliEngine | null)?.close();
  }
}

export type Open = (...args: Parameters<typeof openEngine>) => Promise<Mfa>;

async function whatIf(args: string[], io: CliIo, open: Open) {
  const { values, positionals: got } = parse(args, {
    user: { type: 'string' },
    app: { type: 'string' },
    ip: { type: 'string' },
    groups: { type: 'string', multiple: true },
    roles: { type: 'string', multiple: true },
    client: { type: 'string' },
    remembered: { type: 'boolean' },
    'device-age-days': { type: 'string' },
    risk: { type: 'string', multiple: true },
    failures: { type: 'string' },
    context: { type: 'string', multiple: true },
    time: { type: 'string' },
    'user-action': { type: 'string' },
    'user-state': { type: 'string' },
    'trusted-network': { type: 'string', multiple: true },
    policies: { type: 'string' },
    ...STORE_OPTIONS,
    json: { type: 'boolean' },
  });
  positionals(got, [], 'what-if');
  if (!values.user) throw new UsageError('what-if needs --user');
  if (!values.ip) throw new UsageError('what-if needs --ip');
  if (!isIp(values.ip)) throw new UsageError(`--ip must be an IPv4 or IPv6 address (got "${values.ip}")`);
  const store = storeOf(values, io.env);
  if ((values.policies === undefined) === (store === null))
    throw new UsageError('what-if needs exactly one of --policies FILE and --store (or --db FILE)');
  const clientAppType = oneOf<ClientAppType>('client', values.client, CLIENT_APP_TYPES);
  const userState = oneOf('user-state', values['user-state'], USER_STATES);
  const deviceAgeDays = count('device-age-days', values['device-age-days']);
  if (deviceAgeDays !== undefined && !values.remembered)
    throw new UsageError('--device-age-days goes with --remembered');
  const failures = count('failures', values.failures);
  const signals = list(values.risk);
  for (const s of signals) oneOf<RiskSignal>('risk', s, RISK_SIGNALS);
  const time = timeOf(values.time);
  const userAction = oneOf<UserAction>('user-action', values['user-action'], USER_ACTIONS);
  if (userAction !== undefined && (values.app !== undefined || values.context !== undefined))
    throw new UsageError('--user-action is not a sign-in to an app: leave out --app and --context');
  const trustedNetworks = list(values['trusted-network']);
  for (const cidr of trustedNetworks)
    if (!isStrictCidr(cidr)) throw new UsageError(`--trusted-network: ${quoted(cidr)} ${CIDR_RULE}`);

  // Named signals are present and the others absent. Without --risk, a store still tells
  // whether the network is new and whether the user is flagged; the device never (no user agent).
  const risk: RiskFacts =
    values.risk !== undefined || store === null
      ? Object.fromEntries(RISK_SIGNALS.map((s) => [s, signals.includes(s)]))
      : { newDevice: false };
  if (failures !== undefined) risk.recentFailures = failures;

  const mfa = await open(
    store ? { kind: 'store', spec: store } : { kind: 'file', path: values.policies as string },
    io.env,
    { defaultUserState: userState, trustedNetworks },
  );
  const groups = list(values.groups);
  const roles = list(values.roles);
  const contexts = list(values.context);
  const ctx: WhatIfContext = {
    userId: values.user,
    ip: values.ip,
    ...(values.app ? { app: values.app } : {}),
    ...(values.groups ? { groups } : {}),
    ...(values.roles ? { roles } : {}),
    ...(clientAppType ? { clientAppType } : {}),
    ...(values.remembered ? { deviceRemembered: true, deviceAgeDays: deviceAgeDays ?? 0 } : {}),
    risk,
    ...(contexts.length > 0 ? { authenticationContexts: contexts } : {}),
    ...(time !== undefined ? { time } : {}),
    ...(userAction ? { userAction } : {}),
  };
  const decision = await mfa.whatIf(ctx);
  if (values.json) io.stdout(`${JSON.stringify(whatIfReport(decision), null, 2)}\n`);
  else
    io.stdout(
      formatDecision(decision, {
        userId: ctx.userId,
        app: decision.app,
        ip: ctx.ip,
        ...(userAction ? { userAction } : {}),
      }),
    );
}

async function policies(args: string[], io: CliIo, open: Open) {
  const [sub, ...rest] = args;
  if (sub === undefined) throw new UsageError('policies needs a subcommand');
  const { values, positionals: got } = parse(rest, {
    ...STORE_OPTIONS,
    json: { type: 'boolean' },
    'if-version': { type: 'string' },
    create: { type: 'boolean' },
  });
  const allow = (...names: string[]) => {
    for (const name of [...STORE, 'json', 'if-version', 'create'])
      if (values[name as keyof typeof values] !== undefined && !names.includes(name))
        throw new UsageError(`policies ${sub} does not take --${name}`);
  };
  const storeSpec = () => {
    const spec = storeOf(values, io.env);
    if (!spec) throw new UsageError(`policies ${sub} needs --store (or --db FILE)`);
    return spec;
  };
  /** The store named: checked (a usage error) before anything is read or opened. */
  const db = () => open({ kind: 'store', spec: storeSpec(), create: values.create === true }, io.env);
  const ifVersion = count('if-version', values['if-version']);

  /**
   * The saved document, read from the database itself; an invalid one (written around the
   * engine) is reported with each problem on its own line.
   */
  const saved = async (mfa: Mfa): Promise<{ version: number; document: PolicyDocument }> => {
    const record = await mfa.policies.saved();
    if (record === null)
      return { version: 0, document: { namedLocations: [], authenticationStrengths: [], policies: [] } };
    try {
      return { version: record.version, document: parsePolicyDocument(record.document) };
    } catch (err) {
      if (err instanceof PolicyLoadError)
        io.stderr(
          `mfakit: the saved policy document (version ${record.version}) is invalid; replace it with: mfakit policies import FILE ${storeArgs(storeSpec())}\n`,
        );
      throw err;
    }
  };

  /**
   * Replaces the whole document, compare-and-set on the saved version (or --if-version). The
   * version is read from the database itself, so even an invalid saved document (which the
   * engine refuses to load) can be replaced.
   */
  const replaceWhole = async (mfa: Mfa, doc: PolicyDocument) => {
    const saved = (await mfa.policies.saved())?.version ?? 0;
    const expected = ifVersion ?? saved;
    if (expected !== saved) throw new PolicyVersionConflict(expected, saved);
    return mfa.policies.replace(doc, expected, LOCAL);
  };

  /** Read-modify-write of the saved document, compare-and-set on the version read (or --if-version). */
  const change = async (mfa: Mfa, edit: (doc: PolicyDocument) => unknown) => {
    const set = await saved(mfa);
    const expected = ifVersion ?? set.version;
    if (expected !== set.version) throw new PolicyVersionConflict(expected, set.version);
    return mfa.policies.replace(edit(structuredClone(set.document)), expected, LOCAL);
  };
  const find = (doc: PolicyDocument, id: string): Policy => {
    const policy = doc.policies.find((p) => p.id === id);
    if (!policy) throw new MfaError('policy_not_found', `no policy with id "${id}"`);
    return policy;
  };

  switch (sub) {
    case 'validate': {
      allow();
      const [file] = positionals(got, ['FILE'], 'policies validate') as [string];
      const doc = await loadPolicyFile(file);
      const states = { on: 0, off: 0, reportOnly: 0 };
      for (const p of doc.policies) states[p.state]++;
      io.stdout(
        `${file}: valid: ${doc.policies.length} policies (${states.on} on, ${states.off} off, ${states.reportOnly} report-only), ` +
          `${doc.namedLocations.length} named locations, ${doc.authenticationStrengths.length} authentication strengths\n`,
      );
      return;
    }
    case 'list': {
      allow(...STORE, 'json');
      positionals(got, [], 'policies list');
      const set = await saved(await db());
      io.stdout(
        values.json
          ? `${JSON.stringify({ version: set.version, policies: set.document.policies }, null, 2)}\n`
          : formatPolicyList(set.version, set.document.policies),
      );
      return;
    }
    case 'show': {
      allow(...STORE);
      const [id] = positionals(got, ['ID'], 'policies show') as [string];
      const set = await saved(await db());
      io.stdout(`${JSON.stringify(find(set.document, id), null, 2)}\n`);
      return;
    }
    case 'export': {
      allow(...STORE);
      positionals(got, [], 'policies export');
      const set = await saved(await db());
      io.stdout(`${JSON.stringify(set.document, null, 2)}\n`);
      return;
    }
    case 'import': {
      allow(...STORE, 'if-version', 'create');
      const [file] = positionals(got, ['FILE'], 'policies import') as [string];
      storeSpec();
      // Validated before the database is opened: an invalid file changes nothing.
      const doc = await loadPolicyFile(file);
      const set = await replaceWhole(await db(), doc);
      io.stdout(`imported ${file}: version ${set.version}, ${set.document.policies.length} policies\n`);
      return;
    }
    case 'enable':
    case 'disable':
    case 'report-only': {
      allow(...STORE, 'if-version');
      const [id] = positionals(got, ['ID'], `policies ${sub}`) as [string];
      const state = sub === 'enable' ? 'on' : sub === 'disable' ? 'off' : 'reportOnly';
      const mfa = await db();
      const current = await saved(mfa);
      if (ifVersion !== undefined && ifVersion !== current.version)
        throw new PolicyVersionConflict(ifVersion, current.version);
      if (find(current.document, id).state === state) {
        io.stdout(`policy ${id} is already ${state} (version ${current.version}); nothing changed\n`);
        return;
      }
      const set = await change(mfa, (doc) => {
        find(doc, id).state = state;
        return doc;
      });
      io.stdout(`policy ${id} is now ${state}: version ${set.version}\n`);
      return;
    }
    case 'delete': {
      allow(...STORE, 'if-version');
      const [id] = positionals(got, ['ID'], 'policies delete') as [string];
      const set = await change(await db(), (doc) => {
        find(doc, id);
        return { ...doc, policies: doc.policies.filter((p) => p.id !== id) };
      });
      io.stdout(`policy ${id} deleted: version ${set.version}\n`);
      return;
    }
    default:
      throw new UsageError(`unknown policies subcommand "${sub}"`);
  }
}
