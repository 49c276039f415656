/**
 * Shared fixtures of the policy administration API tests: two policies, an app with the admin
 * router mounted at BASE, and helpers for assertion messages and decisions.
 */

import express from 'express';
import type request from 'supertest';
import { createMemoryStores } from '../../../adapters/memory/index.ts';
import { createPolicyAdminRouter } from '../../../src/express/index.ts';
import { type AuditEvent, createMfa, type MfaOptions, type Stores } from '../../../src/index.ts';
import { testClock } from '../../helpers/test-clock.ts';

export const BASE = '/admin/policies-api';
export const ADMIN = { 'X-Admin': 'carol' };
export const OFFICE_IP = '203.0.113.9';
export const HOME_IP = '198.51.100.7';

export const mfaOutsideOffice = {
  id: 'mfa-outside-office',
  name: 'MFA outside the office',
  state: 'on',
  assignments: { users: { include: ['all'] }, applications: { include: ['all'] } },
  conditions: { locations: { include: ['any'], exclude: ['trusted'] } },
  grant: { controls: ['mfa'] },
};

export const blockPayroll = {
  id: 'block-payroll',
  name: 'No payroll for contractors',
  state: 'on',
  assignments: { users: { include: ['all'] }, applications: { include: ['payroll'] } },
  grant: { block: true },
};

export const baseDocument = () => ({
  namedLocations: [{ id: 'office', name: 'Office', trusted: true, cidrs: ['203.0.113.0/24'] }],
  authenticationStrengths: [],
  policies: [mfaOutsideOffice],
});

export function setup(
  overrides: Partial<MfaOptions> & {
    authorize?: (req: express.Request) => string | null | Promise<string | null>;
    stores?: Stores;
  } = {},
) {
  const clock = overrides.clock ?? testClock();
  const events: AuditEvent[] = [];
  const { authorize, ...rest } = overrides;
  const mfa = createMfa({
    stores: createMemoryStores({ clock }),
    clock,
    issuer: 'Test Co',
    sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 1) }],
    defaultUserState: 'disabled',
    policies: baseDocument(),
    audit: (e) => {
      events.push(e);
    },
    ...rest,
  });
  const app = express();
  app.use(
    BASE,
    createPolicyAdminRouter(mfa, { authorize: authorize ?? ((req) => req.get('x-admin') ?? null) }),
  );
  return { app, mfa, events, clock };
}

/** Which request a response answers, for assertion messages. */
export const where = (res: request.Response) => {
  const req = (res as unknown as { req?: { method?: string; path?: string } }).req;
  return `${req?.method} ${req?.path}`;
};

export const decideAt = (mfa: ReturnType<typeof setup>['mfa'], ip: string, app?: string) =>
  mfa.decide({ userId: 'alice', ip, ...(app ? { app } : {}) });
