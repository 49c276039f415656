// `npm run tap -- issue --user alice [--lifetime 1h] [--once|--multi] [--start ISO] [--json]`
// (also `show` and `revoke`): a Temporary Access Pass for a user of the sample federation server,
// on the same data file and sealing key as `npm start` (FED_CONFIG, FED_DATA_FILE and
// FED_SEALING_KEY as there). It runs mfakit's own command, `mfakit tap`, with that key; the
// server may be running meanwhile (SQLite is shared between processes). `--user` takes a user
// name or e-mail address of the config, in any case, and passes on that user's own id; a pass
// for a user who signs in at a claims provider is refused (exit 2).
import { existsSync } from 'node:fs';
import { runCli } from 'mfakit/cli';
import { loadFederationConfig } from './federation/config.ts';
import { loadOrCreateSecrets } from './federation/secrets.ts';
import { FEDERATION_SEALING_KEY_ID } from './federation/server.ts';

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
// mfakit's command works on an SQLite file; a server on PostgreSQL would never see the pass.
if (env.DATABASE_URL) {
  console.error(
    'tap: npm start runs on PostgreSQL here (DATABASE_URL is set), and this command writes to the SQLite file only: unset DATABASE_URL to use it with the SQLite server',
  );
  process.exit(2);
}

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
if (!existsSync(config.dataFile)) {
  console.error(`tap: ${config.dataFile} does not exist yet: run npm start once first`);
  process.exit(1);
}
const secrets = loadOrCreateSecrets(config.dataFile, env);
process.exitCode = await runCli(['tap', ...forwarded, '--db', config.dataFile], {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: {
    ...env,
    MFAKIT_SEALING_KEY: secrets.sealingKey.toString('base64'),
    MFAKIT_SEALING_KEY_ID: FEDERATION_SEALING_KEY_ID,
  },
});
