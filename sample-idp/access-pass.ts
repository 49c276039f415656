// `npm run tap -- issue --user alice [--lifetime 1h] [--once|--multi] [--start ISO] [--json]`
// (also `show` and `revoke`): a Temporary Access Pass for a user of the sample federation server,
// on the same data file and sealing key as `npm start` (FED_CONFIG, FED_DATA_FILE and
// FED_SEALING_KEY as there). It runs mfakit's own command, `mfakit tap`, with that key; the
// server may be running meanwhile (SQLite is shared between processes).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
const userAt = args.indexOf('--user');
const user = userAt >= 0 ? args[userAt + 1] : undefined;
if (user !== undefined && !config.users.some((u) => u.id.toLowerCase() === user.toLowerCase())) {
  console.error(`tap: there is no local user "${user}" in the federation config`);
  process.exit(2);
}
if (!existsSync(config.dataFile)) {
  console.error(`tap: ${config.dataFile} does not exist yet: run npm start once first`);
  process.exit(1);
}
const secrets = loadOrCreateSecrets(config.dataFile, env);
const run = spawnSync(process.execPath, ['src/cli/mfakit.ts', 'tap', ...args, '--db', config.dataFile], {
  stdio: 'inherit',
  env: {
    ...env,
    MFAKIT_SEALING_KEY: secrets.sealingKey.toString('base64'),
    MFAKIT_SEALING_KEY_ID: FEDERATION_SEALING_KEY_ID,
  },
});
process.exit(run.status ?? 1);
