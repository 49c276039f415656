// The console guide `npm start` prints once the servers run: the URLs, how the federation server
// runs (processes, stores, where its policies come from), the demo accounts with their demo
// passwords (the `${VAR:-default}` defaults of the config file, never a real secret) and what to try.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { FederationConfig } from './federation/config.ts';
import { PARTNER_DEMO_USERS } from './partner-idp/server.ts';

const env = process.env;

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

/** What the console shows about the running federation server (its processes, stores, policies). */
export interface ServerFacts {
  /** E.g. "2 worker processes on http://localhost:3000 (pids 11, 12)"; null for one process. */
  workersLine: string | null;
  storesLine: string;
  policiesLine: string;
  /** The development phone's link with its key (`server.devPhoneUrl`), when it is served. */
  devPhoneUrl: string | null;
}

/** The URLs, the demo accounts and what to try, for the console. */
export function startGuide(
  config: FederationConfig,
  urls: { fed: string; partner: string; rp: string },
  file: string,
  facts: ServerFacts,
): string {
  const passwords = demoPasswords(file);
  const lines = [
    '',
    `Federation server (OpenID provider): ${urls.fed}/  (discovery: ${urls.fed}/.well-known/openid-configuration)`,
    ...(facts.workersLine ? [`Federation server: ${facts.workersLine}`] : []),
    `Security info portal:                ${urls.fed}/account`,
    `Partner Co IdP (claims provider):    ${urls.partner}/`,
    `Demo SaaS app (relying party):       ${urls.rp}/`,
    facts.storesLine,
    facts.policiesLine,
    `Audit events: ${join(dirname(config.dataFile), 'federation-audit.log')}`,
    '',
    'Local accounts (user name or e-mail / password, MFA state):',
    ...config.users.map(
      (u) =>
        `  ${u.id} <${u.email}> / ${passwords.get(u.id) ?? (u.passwordHash ? '(configured as a passwordHash)' : '(as configured)')}  — ${u.mfaState ?? config.defaultUserState}`,
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
    ...(config.textMessage.enabled || config.phoneCall.enabled
      ? [
          '  7. A text message or phone call at first sign-in: type any number (+44 7700 900123). Nothing is',
          '     sent: its code is printed on this console ("mfakit outbox (sms to …): 123456 is your … code").',
        ]
      : []),
    ...(config.phoneCall.enabled && config.phoneCall.answer === 'keypad' && facts.devPhoneUrl
      ? [
          '     Sign-in calls are answered on the keypad: press Call, then open the development phone',
          `     ${facts.devPhoneUrl}`,
          `     (its key lets this browser in) and type ${config.phoneCall.pin ? 'your PIN, then ' : ''}the number the sign-in page shows.`,
        ]
      : []),
    ...(config.pushNotifications.enabled
      ? [
          '  8. Notifications to a phone app: choose "Notifications to your phone app", then in another terminal',
          "     npm run phone-app -- '<the mfakit-push:// link under the QR code>' and type the code it prints.",
          '     At the next sign-in, "Send a notification": the terminal asks for the number the page shows.',
        ]
      : []),
    ...(config.appPasswords.enabled
      ? [
          `  9. App passwords: in ${urls.fed}/account create one for "Scripts and older apps", then`,
          `     curl -u alice:'<app password>' ${urls.fed}/legacy/me  (her password alone is refused).`,
        ]
      : []),
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  return lines.join('\n');
}
