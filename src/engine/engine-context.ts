// What the engine's services share, built once by createMfa(): the validated options, the
// injected capabilities, the stores, the crypto, the audit helper and the outage report, and
// the components each service composes (the enabled methods, recovery codes, the token
// inventory, the throttles, trusted networks, remembered devices, session epochs, policies,
// pending sign-ins, the decision, Temporary Access Passes, app passwords, the registration rule,
// the session check and its freshness). Internal: nothing here is reachable from the public `Mfa` object.
import { pinoAuditSink } from '../audit/events.ts';
import { createCodeHasher } from '../crypto/code-hash.ts';
import { createSealer } from '../crypto/seal.ts';
import { createOathTokens } from '../methods/oath-tokens/inventory.ts';
import { createRecoveryCodes } from '../methods/recovery-code/codes.ts';
import { createMethodRegistry } from '../methods/registry.ts';
import { createClientIpResolver } from '../trust/client-ip.ts';
import { createRememberedDevices } from '../trust/remembered-devices.ts';
import { compileTrustedNetworks } from '../trust/trusted-networks.ts';
import { createAppPasswords } from './app-passwords.ts';
import { createAuditLog } from './audit-log.ts';
import { cryptoRandom, systemClock } from './capabilities.ts';
import { createCurrentSessionCheck } from './current-session.ts';
import { createDecide } from './decide-service.ts';
import { createFirstFactorThrottle } from './first-factor-throttle.ts';
import { createInvalidationBus } from './invalidation-bus.ts';
import { createLockout } from './lockout.ts';
import { type MfaOptions, resolveOptions } from './options.ts';
import { createOutageReport } from './outage-report.ts';
import { createPendingStore } from './pending.ts';
import { guardPendingStore } from './pending-currency.ts';
import { createPolicySource } from './policy-source.ts';
import { createRegistrationRule } from './registration-rule.ts';
import { createSessionEpochs } from './session-epochs.ts';
import type { AuthStamp } from './stamp.ts';
import { createTemporaryAccessPasses } from './temporary-access-pass.ts';

export function createEngineContext(input: MfaOptions) {
  const options = resolveOptions(input);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? cryptoRandom;
  const { repository, ephemeral } = options.stores;
  const sealer = createSealer(options.sealingKeys, random);
  const hasher = createCodeHasher(options.sealingKeys);
  const sink = options.audit ?? pinoAuditSink();
  const audit = createAuditLog({ sink, repository, random, clock });
  // Revocations and policy changes reach the other processes at once when the stores carry a channel.
  const bus = createInvalidationBus(options.stores.invalidation);
  const methodServices = { repository, ephemeral, sealer, hasher, clock, random, options };
  const methods = createMethodRegistry(options.methods, methodServices);
  const lockout = createLockout(ephemeral, repository, clock, options.lockout);
  const trustedNetworks = compileTrustedNetworks(options.trustedNetworks);
  const rememberedDevices = createRememberedDevices({ repository, hasher, clock, random, bus });
  const sessionEpochs = createSessionEpochs(repository, clock, bus);
  const policies = createPolicySource({
    input: options.policies,
    repository,
    clock,
    refreshSeconds: options.policyRefreshSeconds,
    bus,
  });
  const accessPasses = createTemporaryAccessPasses({
    repository,
    hasher,
    clock,
    random,
    audit,
    options: options.temporaryAccessPass,
    bus,
  });
  /** Whether the stamp carries a second factor verified recently enough for sensitive changes. */
  const isFresh = (stamp: AuthStamp) =>
    stamp.mfaAt !== null && clock.now() - stamp.mfaAt <= options.reauthMaxAgeSeconds * 1000;
  const isCurrent = createCurrentSessionCheck(sessionEpochs, rememberedDevices, accessPasses);
  const appPasswords = createAppPasswords({
    repository,
    hasher,
    clock,
    random,
    audit,
    options: options.appPasswords,
    directory: options.directory,
    isFresh,
    isCurrent,
  });
  const { decide, whatIf } = createDecide({
    repository,
    lockout,
    trustedNetworks,
    rememberedDevices,
    policies,
    directory: options.directory,
    methods,
    hasher,
    defaultApp: options.defaultApp,
    defaultUserState: options.defaultUserState,
    hardLimit: options.lockout.hardLimit,
    rememberEnabled: options.rememberDevice.enabled,
    audit,
    clock,
  });
  return {
    bus,
    options,
    clock,
    random,
    repository,
    ephemeral,
    sealer,
    hasher,
    audit,
    reportOutage: createOutageReport({ sink, repository, clock, random }),
    lockout,
    firstFactorThrottle: createFirstFactorThrottle(ephemeral, repository, clock, random, options.firstFactor),
    trustedNetworks,
    rememberedDevices,
    methods,
    recovery: createRecoveryCodes(methodServices),
    oathTokens: createOathTokens({
      repository,
      sealer,
      clock,
      random,
      resyncWindow: options.hotp.resyncWindow,
      audit,
    }),
    sessionEpochs,
    policies,
    // A pending sign-in the user's sessions were revoked after (or whose pass went) reads as gone.
    pending: guardPendingStore(
      createPendingStore(ephemeral, clock, random, options.pendingTtlSeconds),
      isCurrent,
      clock,
      (voided) => audit(voided.userId, { ip: voided.ip }, { type: 'signin_voided' }),
    ),
    decide,
    whatIf,
    clientIp: createClientIpResolver(options.trustedProxies),
    accessPasses,
    appPasswords,
    isCurrent,
    isFresh,
    registration: createRegistrationRule({
      clock,
      maxAgeSeconds: options.reauthMaxAgeSeconds,
      policies,
      audit,
    }),
  };
}

export type EngineContext = ReturnType<typeof createEngineContext>;
