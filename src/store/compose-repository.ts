// Builds the one `Repository` the engine is given out of an adapter's aggregate stores, one
// per durable port. Each method forwards to the store that owns it, so an adapter writes each
// aggregate once (adapters/<name>/<aggregate>.ts) and composes them here; the compiler refuses
// a composition that leaves a port method out.
import type {
  AccessPassStore,
  AppPasswordStore,
  AuditStore,
  CounterStore,
  MethodStore,
  OathTokenStore,
  PolicyDocumentStore,
  RecoveryCodeStore,
  RememberedDeviceStore,
  Repository,
  SignInSignalStore,
  UserStateStore,
} from './ports.ts';

/** An adapter's durable stores, one per aggregate port. Session epochs live in `counters`. */
export interface RepositoryParts {
  methods: MethodStore;
  counters: CounterStore;
  recoveryCodes: RecoveryCodeStore;
  devices: RememberedDeviceStore;
  tokens: OathTokenStore;
  userStates: UserStateStore;
  audit: AuditStore;
  policyDocument: PolicyDocumentStore;
  signals: SignInSignalStore;
  accessPasses: AccessPassStore;
  appPasswords: AppPasswordStore;
}

export function composeRepository(parts: RepositoryParts): Repository {
  const { methods, counters, recoveryCodes, devices, tokens, userStates, audit } = parts;
  const { policyDocument, signals, accessPasses, appPasswords } = parts;
  return {
    listMethods: (userId, options) => methods.listMethods(userId, options),
    getMethod: (userId, methodId) => methods.getMethod(userId, methodId),
    findMethodByLookupKey: (kind, lookupKey) => methods.findMethodByLookupKey(kind, lookupKey),
    markMethodUsed: (userId, methodId, at) => methods.markMethodUsed(userId, methodId, at),
    listMethodsPage: (afterId, limit) => methods.listMethodsPage(afterId, limit),
    replaceMethodData: (userId, methodId, expected, data) =>
      methods.replaceMethodData(userId, methodId, expected, data),
    insertMethod: (method, counter) => methods.insertMethod(method, counter),
    deleteMethod: (userId, methodId, release) => methods.deleteMethod(userId, methodId, release),
    deleteAllMethods: (userId) => methods.deleteAllMethods(userId),

    advance: (key, value) => counters.advance(key, value),
    recordUse: (use) => counters.recordUse(use),
    incrementCounter: (key) => counters.incrementCounter(key),
    getCounter: (key) => counters.getCounter(key),
    deleteCounter: (key) => counters.deleteCounter(key),

    replaceRecoveryCodes: (userId, hashes, at) => recoveryCodes.replaceRecoveryCodes(userId, hashes, at),
    consumeRecoveryCode: (userId, hash, at) => recoveryCodes.consumeRecoveryCode(userId, hash, at),
    countRecoveryCodes: (userId) => recoveryCodes.countRecoveryCodes(userId),
    deleteRecoveryCodes: (userId) => recoveryCodes.deleteRecoveryCodes(userId),

    insertDevice: (device) => devices.insertDevice(device),
    getDevice: (id) => devices.getDevice(id),
    listDevices: (userId) => devices.listDevices(userId),
    touchDevice: (id, at) => devices.touchDevice(id, at),
    revokeDevice: (userId, id, at) => devices.revokeDevice(userId, id, at),
    revokeAllDevices: (userId, at) => devices.revokeAllDevices(userId, at),

    importTokens: (records) => tokens.importTokens(records),
    getToken: (serial) => tokens.getToken(serial),
    listTokens: () => tokens.listTokens(),
    assignToken: (serial, userId, method) => tokens.assignToken(serial, userId, method),
    unassignToken: (serial, userId) => tokens.unassignToken(serial, userId),
    unassignTokens: (userId) => tokens.unassignTokens(userId),
    replaceTokenSecret: (serial, expected, sealed) => tokens.replaceTokenSecret(serial, expected, sealed),

    getUserState: (userId) => userStates.getUserState(userId),
    setUserState: (userId, state) => userStates.setUserState(userId, state),
    getDefaultMethod: (userId) => userStates.getDefaultMethod(userId),
    setDefaultMethod: (userId, methodId) => userStates.setDefaultMethod(userId, methodId),

    appendAudit: (event) => audit.appendAudit(event),
    listAudit: (filter) => audit.listAudit(filter),
    pruneAudit: (before, limit) => audit.pruneAudit(before, limit),

    getPolicyDocument: () => policyDocument.getPolicyDocument(),
    putPolicyDocument: (document, expectedVersion, at, by) =>
      policyDocument.putPolicyDocument(document, expectedVersion, at, by),

    getSighting: (userId, kind, key) => signals.getSighting(userId, kind, key),
    recordSighting: (userId, kind, key, at) => signals.recordSighting(userId, kind, key, at),
    getFraudFlag: (userId) => signals.getFraudFlag(userId),
    setFraudFlag: (userId, at) => signals.setFraudFlag(userId, at),

    putAccessPass: (record) => accessPasses.putAccessPass(record),
    getAccessPass: (userId) => accessPasses.getAccessPass(userId),
    consumeAccessPass: (userId, id, at) => accessPasses.consumeAccessPass(userId, id, at),
    deleteAccessPass: (userId) => accessPasses.deleteAccessPass(userId),

    addAppPassword: (record, max) => appPasswords.addAppPassword(record, max),
    listAppPasswords: (userId) => appPasswords.listAppPasswords(userId),
    touchAppPassword: (userId, id, at) => appPasswords.touchAppPassword(userId, id, at),
    deleteAppPassword: (userId, id) => appPasswords.deleteAppPassword(userId, id),
    deleteAppPasswords: (userId) => appPasswords.deleteAppPasswords(userId),
  };
}
