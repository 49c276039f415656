// Where the engine's conditional-access policies come from, and the one place they change.
// `static`: a document given in the options (or none: no policies), replaced in memory.
// `store`: the document saved in the repository, re-read every `refreshSeconds` so that
// every process converges; saved with compare-and-set on the version. Either way a change
// compiles the whole new set first and then swaps one reference: a request sees the old
// set or the new one, never half of each. An invalid document is refused whole.

import { ConfigError, MfaError, StoreError } from '../errors.ts';
import { compilePolicySet, type PolicySet } from '../policy/compile.ts';
import { PolicyLoadError, parsePolicyDocument } from '../policy/load.ts';
import type { PolicyDocument } from '../policy/model.ts';
import type { Repository } from '../store/ports.ts';
import type { Clock } from './capabilities.ts';
import type { InvalidationBus } from './invalidation-bus.ts';

/** A replacement based on a version that is no longer the current one (HTTP 409). */
export class PolicyVersionConflict extends MfaError {
  constructor(expected: number, actual: number) {
    super(
      'policy_version_conflict',
      `the policies changed meanwhile (you edited version ${expected}, the current one is ${actual}); reload and try again`,
      409,
    );
  }
}

export interface PolicySource {
  readonly mode: 'static' | 'store';
  /** The set to decide with; in store mode it loads (fail closed: a store error throws). */
  current(): Promise<PolicySet>;
  /** The set in memory, if one is loaded and fresh enough; else null (call `current()`). */
  peek(): PolicySet | null;
  /** Validates, saves (store mode: compare-and-set on the version), compiles and swaps in. */
  replace(document: unknown, expectedVersion: number, by: string | null): Promise<PolicySet>;
}

/** A saved document that no longer validates is a broken store, not bad input: fail closed with 503. */
function compileStored(document: unknown, version: number): PolicySet {
  try {
    return compilePolicySet(parsePolicyDocument(document), version);
  } catch (err) {
    throw new StoreError(
      `the saved policy document (version ${version}) is invalid: ${(err as Error).message}`,
    );
  }
}

const EMPTY: PolicyDocument = { namedLocations: [], authenticationStrengths: [], policies: [] };

/** The policy document's new version, announced when one process saves it. */
export const POLICIES_TOPIC = 'policies';

export function createPolicySource(deps: {
  input: unknown;
  repository: Repository;
  clock: Clock;
  refreshSeconds: number;
  /** A document saved by another process is announced: it is read at the next request, not in `refreshSeconds`. */
  bus?: InvalidationBus;
}): PolicySource {
  const { repository, clock } = deps;
  const mode = deps.input === 'store' ? 'store' : 'static';
  let set: PolicySet | null = null;
  let loadedAt = 0;
  let loading: Promise<PolicySet> | null = null;
  // Bumped by each announcement of a newer version: a read under way when one arrives may have
  // seen the older document, so what it returns is not marked fresh (the next request reads
  // again), as fresh-cache.ts does for the session checks.
  let announcements = 0;

  if (mode === 'static') {
    try {
      set = compilePolicySet(deps.input === undefined ? EMPTY : parsePolicyDocument(deps.input), 1);
    } catch (err) {
      if (err instanceof PolicyLoadError) throw new ConfigError(`policies: ${err.message}`);
      throw err;
    }
  }

  const load = (): Promise<PolicySet> => {
    loading ??= (async () => {
      const began = announcements;
      try {
        const record = await repository.getPolicyDocument();
        const next =
          record === null
            ? compilePolicySet(EMPTY, 0)
            : set !== null && set.version >= record.version
              ? set // a replace() that finished meanwhile is newer than what this read saw
              : compileStored(record.document, record.version);
        set = next;
        loadedAt = began === announcements ? clock.now() : 0;
        return next;
      } finally {
        loading = null;
      }
    })();
    return loading;
  };

  const fresh = () => mode === 'static' || clock.now() - loadedAt < deps.refreshSeconds * 1000;
  // A version announced by any process: newer than the set in memory → read it again now.
  if (mode === 'store')
    deps.bus?.on(POLICIES_TOPIC, (version) => {
      if (set === null || !(Number(version) > set.version)) return;
      announcements++;
      loadedAt = 0;
    });

  return {
    mode,
    async current() {
      if (set !== null && fresh()) return set;
      return load();
    },
    peek() {
      if (set !== null && fresh()) return set;
      return null;
    },
    async replace(document, expectedVersion, by) {
      const parsed = parsePolicyDocument(document);
      if (mode === 'static') {
        const version = set?.version ?? 1;
        if (expectedVersion !== version) throw new PolicyVersionConflict(expectedVersion, version);
        set = compilePolicySet(parsed, version + 1);
        return set;
      }
      const saved = await repository.putPolicyDocument(parsed, expectedVersion, clock.now(), by);
      if (saved === null) {
        const latest = await load();
        throw new PolicyVersionConflict(expectedVersion, latest.version);
      }
      set = compilePolicySet(parsed, saved.version);
      loadedAt = clock.now();
      deps.bus?.announce(POLICIES_TOPIC, String(saved.version));
      return set;
    },
  };
}
