// mfakit — multi-factor authentication for Node.js identity stacks. This is the core entry
// point: `createMfa` and the engine's public types, audit sinks, errors and the store ports;
// the integrations are subpath exports (mfakit/express, mfakit/passport, mfakit/oidc,
// mfakit/radius, mfakit/policy, mfakit/cli, mfakit/adapters/<name>).
//
// import { createMfa } from 'mfakit';
// import { createSqliteStores } from 'mfakit/adapters/sqlite';
// const mfa = createMfa({ stores: createSqliteStores({ path: 'mfa.sqlite' }), issuer: 'Acme',
//   sealingKeys: [{ id: 'k1', key: process.env.MFA_KEY! }] });

export type {
  AuditEnvelope,
  AuditEvent,
  AuditEventBody,
  AuditEventType,
  AuditSink,
} from './audit/events.ts';
export { combineSinks, pinoAuditSink } from './audit/events.ts';
export type {
  AccountSecurity,
  DevicesService,
  EnrollableMethod,
  EnrollmentService,
  MethodsService,
  RecoveryCodesService,
} from './engine/account-security.ts';
export type { Administration } from './engine/administration.ts';
export type {
  AppPasswordApp,
  AppPasswordRequest,
  AppPasswordSummary,
  AppPasswordsService,
  CreatedAppPassword,
} from './engine/app-passwords.ts';
export type { PruneAuditRequest, PruneAuditResult } from './engine/audit-retention.ts';
export { APP_PASSWORD_AMR } from './engine/auth-methods.ts';
export type { Clock, RandomSource } from './engine/capabilities.ts';
export type { CodeSender, SendFailure, SendOutcome } from './engine/code-sending.ts';
export { createMfa } from './engine/create-mfa.ts';
export type { Directory } from './engine/decide.ts';
export type {
  AllowDecision,
  BlockDecision,
  Decision,
  DecisionContext,
  DecisionFacts,
  DecisionReason,
  EnrollDecision,
  MethodSummary,
  MfaDecision,
  SecondFactorDecision,
  SkipReason,
  WhatIfContext,
} from './engine/decision.ts';
export type { DeviceAction, DeviceRequestService, DeviceResponse } from './engine/device-requests.ts';
export type {
  AccountDirectory,
  FirstFactorGate,
  FirstFactorInput,
  FirstFactorKind,
  FirstFactorResult,
  HomeRealm,
  ResolvedAccount,
} from './engine/first-factor-gate.ts';
export type { Mfa, MfaSettings } from './engine/mfa.ts';
export type { MfaOptions } from './engine/options.ts';
export { HARD_FAILURE_CEILING } from './engine/options.ts';
export { parseStamp } from './engine/parse-stamp.ts';
export type { PasswordlessResult, PasswordlessService } from './engine/passwordless.ts';
export type { PendingPrincipal } from './engine/pending.ts';
export type { KeypadOutcome, PhoneCallService } from './engine/phone-calls.ts';
export type { PolicyService } from './engine/policy-service.ts';
export { PolicyVersionConflict } from './engine/policy-source.ts';
export type { RegistrationRefusal, RegistrationVerdict } from './engine/registration-rule.ts';
export type { ChallengeStart, PromptOffer, PromptOptions } from './engine/second-factor.ts';
export type { SessionPolicyCheck, SessionTarget } from './engine/session-policy.ts';
export type { SignInFlow } from './engine/sign-in-flow.ts';
export type {
  CodeInput,
  RequestContext,
  SignInInput,
  SignInStart,
  VerifyFailure,
  VerifyOutcome,
} from './engine/sign-in-types.ts';
export type {
  AuthStamp,
  AuthStampFacts,
  RememberedDeviceStamp,
  SkippedStamp,
  VerifiedStamp,
} from './engine/stamp.ts';
export { ACR_MFA, ACR_PASSWORD, ACR_PHISHING_RESISTANT, acrFor, STAMP_VERSION } from './engine/stamp.ts';
export type { StepUpService } from './engine/step-up.ts';
export type {
  AccessPassContext,
  AccessPassFailure,
  AccessPassIssueOptions,
  AccessPassState,
  AccessPassStatus,
  AccessPassVerification,
  IssuedAccessPass,
  TemporaryAccessPasses,
} from './engine/temporary-access-pass.ts';
export type { TokenInventory } from './engine/token-inventory.ts';
export {
  ConfigError,
  DeliveryError,
  MfaError,
  SlowDownError,
  StoreError,
  StoreInputError,
} from './errors.ts';
export { hotp } from './methods/hotp/index.ts';
export type {
  ChallengeOptions,
  CodeSent,
  CredentialResponse,
  EnrollmentDraft,
  EnrollmentField,
  EnrollmentFields,
  EnrollmentPage,
  EnrollmentResult,
  FactorInput,
  MethodCheck,
  MethodDefinition,
  MethodDescription,
  MethodEnrollment,
  MethodServices,
  PasswordlessCheck,
  SignInMethod,
} from './methods/method.ts';
export { codeOf } from './methods/method.ts';
export {
  type KeypadCall,
  type Outbox,
  outboxDelivery,
  type PhoneDelivery,
  type PhoneMessage,
} from './methods/phone/delivery.ts';
export { maskPhoneNumber } from './methods/phone/number.ts';
export {
  type PushDelivery,
  type PushNotification,
  type PushOptions,
  type PushOutbox,
  pushMethod,
  pushOutbox,
} from './methods/push/index.ts';
export { recoveryCode } from './methods/recovery-code/index.ts';
export { smsMethod } from './methods/sms/index.ts';
export { totp } from './methods/totp/index.ts';
export { type KeypadWords, type VoiceOptions, voiceMethod } from './methods/voice/index.ts';
export { readKeypadInput } from './methods/voice/keypad-answers.ts';
export { type WebAuthnSettings, type WebAuthnSettingsInput, webauthn } from './methods/webauthn/index.ts';
export type * from './store/ports.ts';
export {
  type OidcRouting,
  routeOidcModels,
  SHORT_LIVED_OIDC_MODELS,
} from './store/route-oidc-models.ts';
export { cidrSchema, trustedProxySchema } from './trust/cidr.ts';
