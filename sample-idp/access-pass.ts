// `npm run tap -- issue --user alice [--lifetime 1h] [--once|--multi] [--start ISO] [--json]`
// (also `show` and `revoke`): a Temporary Access Pass for a user of the sample federation server,
// in the same store and under the same sealing keys as `npm start` (FED_CONFIG, FED_DATA_FILE,
// DATABASE_URL and FED_DATABASE_SCHEMA, FED_SEALING_KEYS or FED_SEALING_KEY as there). It runs
// mfakit's own command, `mfakit tap --store …`, with those keys; the server may be running
// meanwhile (it sees the pass in the shared SQLite file or PostgreSQL schema). `--user` takes a user
// name or e-mail address of the config, in any case, and passes on that user's own id; a pass
// for a user who signs in at a claims provider is refused (exit 2).
import { existsSync } from 'node:fs';
import { formatSealingKeys, runCli } from 'mfakit/cli';
import { loadFederationConfig } from './federation/config.ts';
import { loadOrCreateSecrets, secretsFileOf } from './federation/secrets.ts';
import { chooseStores } from './federation/stores.ts';

const env = process.env;
const args = process.argv.slice(2);
const placeholder = 'http://localhost:1';
const config = await loadFederationConfig(env.FED_CONFIG ?? 'sample-idp/federation.example.yaml', {
  ...env,
  FED_URL: placeholder,
  PARTNER_URL: placeholder,
  DEMO_RP_URL: placeholder,
});
const sub = args[0];

/**
 * The configured user a typed name stands for, found as the sign-in finds them: by user name or
 * e-mail address, case-insensitively. The pass must be stored under that user's own id, the one
 * a sign-in checks it for (`Alice` would store a pass no sign-in ever looks at).
 */
function localUser(typed: string) {
  const key = typed.trim().normalize('NFKC').toLowerCase();
  return config.users.find((u) => u.id.toLowerCase() === key) ?? config.users.find((u) => u.email === key);
}

/** The claims provider whose e-mail domain the address is in: its owner signs in there, never here. */
const homeRealmOf = (email: string) =>
  config.claimsProviders.find((p) => p.emailDomains.includes(email.slice(email.lastIndexOf('@') + 1)));

// `--user X` and `--user=X` both reach mfakit as the configured user's id.
const forwarded: string[] = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i] as string;
  const inline = arg.startsWith('--user=') ? arg.slice('--user='.length) : undefined;
  const typed = inline ?? (arg === '--user' ? args[i + 1] : undefined);
  if (typed === undefined) {
    forwarded.push(arg);
    continue;
  }
  if (inline === undefined) i++;
  const user = localUser(typed);
  if (!user) {
    console.error(`tap: there is no local user "${typed}" in the federation config`);
    process.exit(2);
  }
  const realm = homeRealmOf(user.email);
  if (sub === 'issue' && realm) {
    console.error(
      `tap: ${user.id} (${user.email}) signs in at the claims provider "${realm.id}" (${realm.displayName}), ` +
        'never with a password or pass here, so a Temporary Access Pass could not be used: none issued',
    );
    process.exit(2);
  }
  forwarded.push('--user', user.id);
}
// Where npm start keeps its records: the PostgreSQL schema (DATABASE_URL), else the SQLite file.
const { postgres } = chooseStores(config.dataFile, env);
if (!postgres && !existsSync(config.dataFile)) {
  console.error(`tap: ${config.dataFile} does not exist yet: run npm start once first`);
  process.exit(1);
}
// Keys made up here would hash a pass the server could never verify.
if (!env.FED_SEALING_KEYS && !env.FED_SEALING_KEY && !existsSync(secretsFileOf(config.dataFile))) {
  console.error(
    `tap: no sealing keys: set FED_SEALING_KEYS as for npm start, or run npm start once first (it keeps generated keys in ${secretsFileOf(config.dataFile)})`,
  );
  process.exit(1);
}
const store = postgres
  ? ['--store', 'postgres', '--schema', postgres.schema]
  : ['--store', `sqlite:${config.dataFile}`];
let secrets: ReturnType<typeof loadOrCreateSecrets>;
try {
  secrets = loadOrCreateSecrets(config.dataFile, env);
} catch (error) {
  // A malformed FED_SEALING_KEYS, say: the one line naming it, as npm start prints it.
  console.error(`tap: ${(error as Error).message}`);
  process.exit(1);
}
process.exitCode = await runCli(['tap', ...forwarded, ...store], {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  // The server's keys, current first: the pass is hashed under the current one, as the server's own.
  env: { ...env, MFAKIT_SEALING_KEYS: formatSealingKeys(secrets.sealingKeys), MFAKIT_SEALING_KEY: '' },
});
