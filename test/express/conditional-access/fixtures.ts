/** Shared fixtures of the conditional-access tests: an office MFA policy, a payroll token policy, a login helper. */

import request from 'supertest';
import { allUsers } from '../../helpers/policies.ts';

export const mfaOutsideOffice = {
  id: 'mfa-outside-office',
  name: 'MFA outside the office',
  state: 'on',
  assignments: { ...allUsers, applications: { include: ['all'] } },
  conditions: { locations: { include: ['any'], exclude: ['trusted'] } },
  grant: { controls: ['mfa'] },
};

export const payrollNeedsToken = {
  id: 'payroll-token',
  name: 'Payroll needs a hardware token',
  state: 'on',
  assignments: { ...allUsers, applications: { include: ['payroll'] } },
  grant: { controls: [{ authenticationStrength: 'hardwareToken' }] },
};

export const login = (
  app: Parameters<typeof request>[0],
  user: string,
  body: Record<string, string> = {},
  xff?: string,
) => {
  const req = request(app).post('/login');
  if (xff) req.set('X-Forwarded-For', xff);
  return req.send({ username: user, password: `${user}-pw`, ...body });
};
