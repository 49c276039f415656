import { totpCode } from '../../src/methods/otp/otp.ts';
import { makeApp } from './app.ts';
import { enrolUser } from './flows.ts';

/**
 * Fixtures for conditional-access tests: an office location, a hardware-token strength, a
 * document builder, and alice with an authenticator app plus an assigned TOTP hardware token.
 */
export const TOKEN_SEED = Buffer.from('0123456789abcdef0123', 'ascii');
export const TOKEN_CSV = `serial,secret,algorithm,digits,period,kind\nHW-1,${TOKEN_SEED.toString('hex')},sha1,6,30,totp\n`;
export const ctx = { ip: '192.0.2.1' };

export const allUsers = { users: { include: ['all'] } };
export const hardwareToken = {
  id: 'hardwareToken',
  name: 'Hardware token',
  userMessage: 'Use your hardware token for payroll.',
  combinations: [['password', 'hardwareOath']],
};

/** Everyone signing in to the relying party `rp`: MFA, and a sign-in again every hour. */
export const HOURLY_MFA_FOR_RP = {
  id: 'hourly',
  name: 'MFA every hour',
  state: 'on',
  assignments: { users: { include: ['all'] }, applications: { include: ['rp'] } },
  grant: { controls: ['mfa'] },
  session: { signInFrequencyHours: 1 },
};

/** A document with the office (trusted) location, the hardware-token strength and these policies. */
export function doc(policies: unknown[], extraLocations: unknown[] = []) {
  return {
    namedLocations: [
      { id: 'office', name: 'Office', trusted: true, cidrs: ['203.0.113.0/24', '2001:db8:1::/48'] },
      ...extraLocations,
    ],
    authenticationStrengths: [hardwareToken],
    policies,
  };
}

/** The hardware token's current code at the clock's time. */
export const tokenCode = (clock: { now(): number }) =>
  totpCode(TOKEN_SEED, {
    algorithm: 'sha1',
    digits: 6,
    period: 30,
    epochSeconds: Math.floor(clock.now() / 1000),
  });

/** The test app with alice enrolled (authenticator app) and holding hardware token HW-1. */
export async function withToken(overrides: Parameters<typeof makeApp>[0] = {}) {
  const made = makeApp({ lockout: { backoffBaseMs: 0 }, ...overrides });
  const { secret, recoveryCodes } = await enrolUser(made.app, made.clock, 'alice');
  await made.mfa.tokens.importCsv(TOKEN_CSV, ctx);
  const token = await made.mfa.tokens.assign('HW-1', 'alice', 'Token', ctx);
  const totpId = (await made.mfa.methods.list('alice')).find((m) => m.id !== token.id)?.id ?? '';
  return { ...made, secret, recoveryCodes, tokenId: token.id, totpId };
}
