// `mfakit app-passwords list|revoke --user ID STORE`: a user's app passwords in an application's
// stores (`--store` or `--db`, stores.ts), as an administrator sees them when a device is lost
// (Azure's "reset application passwords"). `list` prints each one's id, name, applications,
// creation, last use and expiry (never its hash); `revoke` removes one (`--id`) or all, through
// the engine, so each is audited as `app_password_revoked` with detail `admin` (an
// administrator's), from the CLI's address. Neither checks a password, so neither needs the
// application's sealing key (engine.ts opens the engine with a random one).
import type { AppPasswordSummary } from '../engine/app-passwords.ts';
import { MfaError } from '../errors.ts';
import { identifier, LOCAL, parse, positionals } from './args.ts';
import type { CliIo, Open } from './main.ts';
import { iso } from './print.ts';
import { STORE_OPTIONS, storeOf } from './stores.ts';
import { UsageError } from './usage.ts';

const SUBCOMMANDS = ['list', 'revoke'];

function summaryJson(s: AppPasswordSummary) {
  return {
    id: s.id,
    name: s.name,
    apps: s.apps,
    createdAt: iso(s.createdAt),
    lastUsedAt: iso(s.lastUsedAt),
    expiresAt: iso(s.expiresAt),
    expired: s.expired,
  };
}

function listText(user: string, held: AppPasswordSummary[]): string {
  if (held.length === 0) return `${user} has no app passwords\n`;
  const out = [`App passwords of ${user}: ${held.length}`];
  for (const s of held) {
    const expiry = s.expiresAt === null ? 'never' : `${iso(s.expiresAt)}${s.expired ? ' (expired)' : ''}`;
    out.push(
      `  ${s.id}  ${s.name}`,
      `    apps       ${s.apps.join(', ')}`,
      `    created    ${iso(s.createdAt)}`,
      `    last used  ${s.lastUsedAt === null ? 'never' : iso(s.lastUsedAt)}`,
      `    expires    ${expiry}`,
    );
  }
  return `${out.join('\n')}\n`;
}

const plural = (n: number) => `${n} app password${n === 1 ? '' : 's'}`;

export async function appPasswords(args: string[], io: CliIo, open: Open): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === undefined) throw new UsageError('app-passwords needs a subcommand: list or revoke');
  if (!SUBCOMMANDS.includes(sub)) throw new UsageError(`unknown app-passwords subcommand "${sub}"`);
  const { values, positionals: got } = parse(rest, {
    user: { type: 'string' },
    ...STORE_OPTIONS,
    id: { type: 'string' },
    json: { type: 'boolean' },
  });
  const takes = sub === 'list' ? 'json' : 'id';
  for (const name of ['id', 'json'] as const)
    if (values[name] !== undefined && name !== takes)
      throw new UsageError(`app-passwords ${sub} does not take --${name}`);
  positionals(got, [], `app-passwords ${sub}`);
  if (!values.user) throw new UsageError(`app-passwords ${sub} needs --user ID`);
  const user = identifier('user', values.user);
  const id = values.id === undefined ? undefined : identifier('id', values.id);
  if (id === '') throw new UsageError('--id needs the id of an app password (app-passwords list shows them)');
  const spec = storeOf(values, io.env);
  if (!spec) throw new UsageError(`app-passwords ${sub} needs --store (or --db FILE)`);
  const mfa = await open({ kind: 'store', spec }, io.env);

  if (sub === 'list') {
    const held = await mfa.appPasswords.list(user);
    io.stdout(values.json ? `${JSON.stringify(held.map(summaryJson), null, 2)}\n` : listText(user, held));
    return;
  }
  if (id !== undefined) {
    if (!(await mfa.appPasswords.revoke(user, id, LOCAL, 'admin')))
      throw new MfaError(
        'app_password_not_found',
        `${user} has no app password with id ${JSON.stringify(id)}; nothing revoked (app-passwords list shows the ids)`,
      );
    io.stdout(`revoked 1 app password of ${user} (${id})\n`);
    return;
  }
  io.stdout(`revoked ${plural(await mfa.appPasswords.revokeAll(user, LOCAL))} of ${user}\n`);
}
