// The test app (test/helpers/app.ts) with app passwords on (scoped to `mail` and `vpn`; `svc`
// in the excluded `admins` group), legacy-client routes behind requireAppPassword() — /dav/mail
// for `mail`, /dav/vpn for `vpn` — and a browser login through the first-factor gate
// (/gate-login, kind `password`). `createOverApi(agent)` makes one through the JSON API.
import assert from 'node:assert/strict';
import express from 'express';
import type { Agent } from 'supertest';
import { requireAppPassword } from '../../src/express/index.ts';
import type { AccountDirectory } from '../../src/index.ts';
import { makeApp, PASSWORDS } from './app.ts';

const accounts: AccountDirectory = {
  resolve: (identifier) => (identifier in PASSWORDS ? { id: identifier } : null),
  async verifyPassword(accountId, password) {
    return accountId !== null && PASSWORDS[accountId] === password;
  },
};

export const APPS = [
  { id: 'mail', name: 'Mail' },
  { id: 'vpn', name: 'VPN' },
];

export function makeAppPasswordApp(overrides: Parameters<typeof makeApp>[0] = {}) {
  const built = makeApp({
    appPasswords: { enabled: true, apps: APPS, excludeGroups: ['admins'] },
    directory: { subject: (userId) => (userId === 'svc' ? { groups: ['admins'] } : { groups: [] }) },
    ...overrides,
  });
  const { app, mfa, web } = built;
  const gate = mfa.firstFactorGate(accounts);
  for (const scope of ['mail', 'vpn'])
    app.get(
      `/dav/${scope}`,
      requireAppPassword(mfa, { gate, app: scope, realm: 'Test Co DAV' }),
      (req, res) => {
        res.json({ user: req.legacyAuth?.userId, amr: req.legacyAuth?.stamp.amr });
      },
    );
  // A browser's password form checked by the gate, as an IdP's login page does.
  app.post('/gate-login', express.json(), async (req, res, next) => {
    try {
      const { username, password } = req.body as Record<string, string>;
      const first = await gate.signIn({
        identifier: String(username),
        secret: String(password),
        kind: 'password',
        ip: mfa.clientIp(req),
      });
      if (!first.ok) return res.status(401).json({ error: first.error });
      await web.beginSignIn(req, res, { userId: first.accountId, amr: first.amr });
    } catch (err) {
      next(err);
    }
  });
  return { ...built, gate };
}

/** Creates an app password through the JSON API (the agent has a fresh second factor): its summary and password. */
export async function createOverApi(agent: Agent, name = 'Mail on my phone', apps = ['mail']) {
  const res = await agent.post('/mfa/api/app-passwords').send({ name, apps });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.appPassword as { id: string; name: string; apps: string[]; password: string };
}

/** An `Authorization: Basic` header for user and password. */
export const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
