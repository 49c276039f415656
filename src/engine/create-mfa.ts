// createMfa(): the engine, composed of named services over one shared context. It knows no web
// framework; integrations (mfakit/express, mfakit/passport, mfakit/oidc) adapt it to theirs.
import { createAccountSecurity } from './account-security.ts';
import { createAdministration } from './administration.ts';
import { createDeviceRequestService } from './device-requests.ts';
import { createEngineContext } from './engine-context.ts';
import { createFirstFactorGate } from './first-factor-gate.ts';
import type { Mfa } from './mfa.ts';
import type { MfaOptions } from './options.ts';
import { createPasswordless } from './passwordless.ts';
import { createPhoneCallService } from './phone-calls.ts';
import { createPolicyService } from './policy-service.ts';
import { createSecondFactor } from './second-factor.ts';
import { networkSightingKey } from './sightings.ts';
import { createSignInFlow } from './sign-in-flow.ts';
import { createStepUp } from './step-up.ts';
import { createTokenInventory } from './token-inventory.ts';

export type { Mfa, MfaSettings } from './mfa.ts';
export type {
  CodeInput,
  RequestContext,
  SignInInput,
  SignInStart,
  VerifyFailure,
  VerifyOutcome,
} from './sign-in-types.ts';

/** The engine: validates `options` (a ConfigError names every bad path) and composes the services. */
export function createMfa(options: MfaOptions): Mfa {
  const engine = createEngineContext(options);
  const { options: resolved, clock, repository } = engine;
  const second = createSecondFactor(engine);
  const account = createAccountSecurity(engine);
  const signIn = createSignInFlow(engine, second, {
    enrollment: account.service.enrollment,
    recoveryCodes: account.service.recoveryCodes,
  });
  const stepUp = createStepUp(engine, second);
  const admin = createAdministration(engine);

  /** The sightings key of `ip` when the user completed a sign-in from that network recently. */
  const familiarNetwork = async (userId: string, ip: string): Promise<string | null> => {
    const days = resolved.firstFactor.familiarNetworkDays;
    if (days === 0) return null;
    const network = networkSightingKey(ip);
    const seen = await repository.getSighting(userId, 'network', network);
    return seen !== null && clock.now() - seen <= days * 86_400_000 ? network : null;
  };

  const { rememberDevice } = resolved;
  // The session check stays inside the engine (mfa.isCurrent answers it with a promise).
  const { admitsSession: _internal, ...accessPasses } = engine.accessPasses;
  const { check: _gateOnly, ...appPasswords } = engine.appPasswords;
  return {
    ...signIn,
    ...stepUp,
    ...account.service,
    settings: {
      issuer: resolved.issuer,
      defaultApp: resolved.defaultApp,
      pendingTtlSeconds: resolved.pendingTtlSeconds,
      reauthMaxAgeSeconds: resolved.reauthMaxAgeSeconds,
      rememberDevice: {
        enabled: rememberDevice.enabled,
        days: rememberDevice.days,
        maxDays: rememberDevice.maxDays,
        cookieName: rememberDevice.cookieName,
        secureCookie: rememberDevice.secureCookie,
      },
    },
    clock,
    firstFactorGate: (directory) =>
      createFirstFactorGate(directory, {
        throttle: engine.firstFactorThrottle,
        audit: engine.audit,
        verifyAccessPass: engine.accessPasses.verify,
        checkAppPassword: engine.appPasswords.check,
        passwordSuffices: async (userId, on) =>
          (
            await engine.decide({
              userId,
              amr: ['pwd'],
              ip: on.ip,
              app: on.app,
              clientAppType: 'legacy',
              allowTrustedNetwork: on.allowTrustedNetwork,
              userAgent: on.userAgent,
            })
          ).action === 'allow',
        familiarNetwork,
      }),
    trustedNetwork: (ip) => engine.trustedNetworks.match(ip),
    clientIp: (req) => engine.clientIp(req),
    isCurrent: async (stamp) => engine.isCurrent(stamp),
    reportOutage: (error, ctx) => engine.reportOutage(error, ctx),
    policies: createPolicyService(engine),
    admin,
    deviceApi: createDeviceRequestService(engine, admin),
    phoneCalls: createPhoneCallService(engine, admin),
    tokens: createTokenInventory(engine, account.afterEnrollment),
    accessPasses,
    appPasswords,
    passwordless: createPasswordless(engine),
    ready: () => engine.bus.ready(),
  };
}
