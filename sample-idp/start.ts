import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { pinoAuditSink } from 'mfakit';
import pino from 'pino';
import { parse as parseYaml } from 'yaml';
import { createDemoRp } from './demo-rp/rp-app.ts';
import { type FederationConfig, loadFederationConfig } from './federation/config.ts';
import { loadOrCreateSecrets } from './federation/secrets.ts';
import { createFederationServer } from './federation/server.ts';
import { createPartnerIdp, PARTNER_DEMO_USERS } from './partner-idp/server.ts';

/**
 * `npm start`: the federation server, the partner IdP and the demo SaaS app on localhost,
 * on the embedded SQLite store; the URLs it prints are http://localhost:<port> (passkeys need a
 * host name) while it listens on 127.0.0.1. Settings (environment):
 *   FED_CONFIG        config file (default sample-idp/federation.example.yaml)
 *   HOST              listen address (default 127.0.0.1)
 *   PUBLIC_HOST       the host name in the printed URLs and the issuer (default localhost: browsers
 *                     refuse passkeys on an IP address such as 127.0.0.1)
 *   FED_PORT / PARTNER_PORT / DEMO_RP_PORT   default 3000 / 3001 / 3002 (0: any free port)
 *   FED_DATA_FILE     SQLite file used by the example config (default data/federation.sqlite)
 *   FED_SEALING_KEY, FED_COOKIE_KEYS, FED_SIGNING_JWK   secrets; generated and kept in
 *                     federation-secrets.json beside the data file when unset
 * The URLs are handed to the config as FED_URL, PARTNER_URL and DEMO_RP_URL.
 */
const env = process.env;
const host = env.HOST || '127.0.0.1';
const publicHost = env.PUBLIC_HOST || 'localhost';
const configFile = env.FED_CONFIG ?? 'sample-idp/federation.example.yaml';

function port(name: string, fallback: number): number {
  const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
  if (!Number.isInteger(value) || value < 0 || value > 65535)
    throw new Error(`${name}: must be a port number`);
  return value;
}

async function listen(wanted: number): Promise<{ server: Server; url: string }> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(wanted, host, resolve);
  });
  return { server, url: `http://${publicHost}:${(server.address() as AddressInfo).port}` };
}

/** The demo password of a user: the `${VAR:-default}` default when VAR is unset, never a real secret. */
function demoPasswords(file: string): Map<string, string> {
  const out = new Map<string, string>();
  const raw = parseYaml(readFileSync(file, 'utf8')) as { users?: { id?: unknown; password?: unknown }[] };
  for (const u of raw.users ?? []) {
    const m =
      typeof u.password === 'string' ? /^\$\{([A-Za-z_][A-Za-z0-9_]*):-([^}]*)\}$/.exec(u.password) : null;
    if (typeof u.id === 'string' && m?.[1] && m[2] !== undefined)
      out.set(u.id, env[m[1]] ? `(from $${m[1]})` : m[2]);
  }
  return out;
}

function describe(
  config: FederationConfig,
  urls: { fed: string; partner: string; rp: string },
  file: string,
) {
  const passwords = demoPasswords(file);
  const lines = [
    '',
    `Federation server (OpenID provider): ${urls.fed}/  (discovery: ${urls.fed}/.well-known/openid-configuration)`,
    `Security info portal:                ${urls.fed}/account`,
    `Partner Co IdP (claims provider):    ${urls.partner}/`,
    `Demo SaaS app (relying party):       ${urls.rp}/`,
    `Data file: ${config.dataFile}  (audit events: ${join(dirname(config.dataFile), 'federation-audit.log')})`,
    '',
    'Local accounts (user name or e-mail / password, MFA state):',
    ...config.users.map(
      (u) =>
        `  ${u.id} <${u.email}> / ${passwords.get(u.id) ?? '(as configured)'}  — ${u.mfaState ?? config.defaultUserState}`,
    ),
    'Partner accounts (type the e-mail address at the federation sign-in: home-realm discovery):',
    ...PARTNER_DEMO_USERS.map((u) => {
      const domain = u.email.split('@')[1] ?? '';
      const cp = config.claimsProviders.find((p) => p.emailDomains.includes(domain));
      return `  ${u.email} / ${u.password}  — ${cp ? `${cp.displayName}: ${cp.federatedIdpMfaBehavior}` : 'no trust'}`;
    }),
    '',
    'Try:',
    `  1. ${urls.rp}/ → Sign in as alice: choose a passkey (or an authenticator app: scan the QR code); the app shows amr/acr.`,
    "  2. Sign out, Sign in again: the user name field offers alice's passkey (autofill): no password, acr …:phr.",
    '     Sign in as bob (enforced, no method yet): a method is required. dana (disabled): password only.',
    '  3. Sign in as carol@partner.test: tick "I used my partner MFA" → no local prompt; untick → local MFA.',
    '  4. dave@strict.partner.test: without the partner MFA the sign-in is refused.',
    '     erin@legacy.partner.test: the partner MFA is not trusted, the local MFA is always asked.',
    '  5. In the demo app, "Sensitive action" asks for acr …:mfa (step-up) and "Approve payments" for …:phr,',
    `     which only a passkey or security key meets. ${urls.fed}/account adds, lists and removes methods.`,
    '  6. A Temporary Access Pass (an administrator issues it; "Use a Temporary Access Pass" at sign-in):',
    '     npm run tap -- issue --user bob --lifetime 1h --once',
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  console.log(lines.join('\n'));
}

async function main() {
  const fedListener = await listen(port('FED_PORT', 3000));
  const partnerListener = await listen(port('PARTNER_PORT', 3001));
  const rpListener = await listen(port('DEMO_RP_PORT', 3002));
  const urls = { fed: fedListener.url, partner: partnerListener.url, rp: rpListener.url };
  const config = await loadFederationConfig(configFile, {
    ...env,
    FED_URL: urls.fed,
    PARTNER_URL: urls.partner,
    DEMO_RP_URL: urls.rp,
  });
  mkdirSync(dirname(config.dataFile), { recursive: true });
  // Audit events as JSON lines in a file beside the data file, so the console keeps the URLs readable.
  const auditFile = join(dirname(config.dataFile), 'federation-audit.log');
  const fed = await createFederationServer(config, {
    secrets: loadOrCreateSecrets(config.dataFile, env),
    audit: pinoAuditSink(pino.destination({ dest: auditFile, append: true, sync: false })),
  });
  fedListener.server.on('request', fed.app);

  const partnerOrigin = new URL(urls.partner).origin;
  const partner = createPartnerIdp({
    issuer: urls.partner,
    clients: config.claimsProviders
      .filter((p) => new URL(p.issuer).origin === partnerOrigin)
      .map((p) => ({
        clientId: p.clientId,
        clientSecret: p.clientSecret,
        redirectUris: [new URL(`/federation/${p.id}/callback`, config.issuer).href],
      })),
  });
  partnerListener.server.on('request', partner.app);

  const rpClientId = env.DEMO_RP_CLIENT_ID ?? 'demo-rp';
  const trust = config.relyingParties.find((rp) => rp.clientId === rpClientId);
  if (!trust) throw new Error(`${configFile}: no relying party ${rpClientId} for the demo app`);
  const { app: rpApp } = await createDemoRp({
    issuer: config.issuer,
    clientId: trust.clientId,
    clientSecret: trust.clientSecret,
    tokenEndpointAuthMethod: trust.tokenEndpointAuthMethod,
    redirectUri: `${urls.rp}/callback`,
    postLogoutRedirectUri: `${urls.rp}/signed-out`,
    baseUrl: urls.rp,
    sessionSecret: randomBytes(32).toString('hex'),
    allowInsecureHttp: new URL(config.issuer).protocol === 'http:',
  });
  rpListener.server.on('request', rpApp);

  describe(config, urls, configFile);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const servers = [fedListener.server, partnerListener.server, rpListener.server];
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    await fed.close();
    console.log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
