// Sealing-key rotation's walk over the stored secrets: every user's methods, page by page in id
// order, each re-sealed through its method (`SignInMethod.reseal`, which knows which of its
// fields are sealed and under what context), then the OATH token inventory. A value already
// under the current key is left alone, so the walk is idempotent and a stopped run is resumed
// by running it again. Each record is written with a compare-and-set on what was read
// (`replaceMethodData`, `replaceTokenSecret`): a record changed meanwhile is read again, one
// deleted meanwhile is skipped, and nothing is ever half-written.
import { type Sealer, sealedKeyId } from '../crypto/seal.ts';
import { tokenSecretContext } from '../methods/oath-tokens/inventory.ts';
import type { MethodRegistry } from '../methods/registry.ts';
import type { MethodRecord, OathTokenRecord, Repository } from '../store/ports.ts';

/** How the records of one kind of store fared. */
export interface ResealTally {
  resealed: number;
  /** Already under the current key: left as they were. */
  current: number;
  /** Deleted while the walk ran. */
  gone: number;
  failed: number;
}

export interface ResealReport {
  methods: ResealTally & {
    /** Records of a method that seals nothing (a passkey's public key). */
    nothingSealed: number;
    /** Records of kinds this walk has no method for, by kind: left as they were. */
    unknownKinds: Map<string, number>;
  };
  tokens: ResealTally;
  /** One line per record that could not be re-sealed, saying which and why. */
  failures: string[];
}

type Outcome = 'resealed' | 'current' | 'gone' | 'failed' | 'nothingSealed' | 'unknown';

/** How many times a record that keeps changing under the walk is read again before it counts as failed. */
const ATTEMPTS = 3;

const tally = (): ResealTally => ({ resealed: 0, current: 0, gone: 0, failed: 0 });

export async function resealStoredSecrets(
  deps: { repository: Repository; sealer: Sealer; methods: MethodRegistry },
  options: { batchSize: number; progress?: (line: string) => void },
): Promise<ResealReport> {
  const { repository, sealer, methods } = deps;
  const report: ResealReport = {
    methods: { ...tally(), nothingSealed: 0, unknownKinds: new Map() },
    tokens: tally(),
    failures: [],
  };

  /** Runs `fn` with a re-sealer that notes whether it changed anything. */
  const withReseal = <T>(fn: (reseal: (sealed: string, context: string) => string) => T) => {
    let changed = false;
    const value = fn((sealed, context) => {
      if (sealedKeyId(sealed) === sealer.currentKeyId) return sealed;
      changed = true;
      return sealer.seal(sealer.open(sealed, context), context);
    });
    return { value, changed };
  };

  async function resealMethod(read: MethodRecord): Promise<Outcome> {
    const method = methods.get(read.kind);
    if (!method) return 'unknown';
    const reseal = method.reseal?.bind(method);
    if (!reseal) return 'nothingSealed';
    let record = read;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const { value: data, changed } = withReseal((r) => reseal(record, r));
      if (!changed) return 'current';
      if (await repository.replaceMethodData(record.userId, record.id, record.data, data)) return 'resealed';
      // Changed since it was read (another run, the method's own write): read it again.
      const again = await repository.getMethod(record.userId, record.id);
      if (!again) return 'gone';
      record = again;
    }
    throw new Error(`it changed ${ATTEMPTS} times while being re-sealed`);
  }

  async function resealToken(read: OathTokenRecord): Promise<Outcome> {
    let token = read;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const context = tokenSecretContext(token.serial);
      const { value: sealed, changed } = withReseal((r) => r(token.sealedSecret, context));
      if (!changed) return 'current';
      if (await repository.replaceTokenSecret(token.serial, token.sealedSecret, sealed)) return 'resealed';
      const again = await repository.getToken(token.serial);
      if (!again) return 'gone';
      token = again;
    }
    throw new Error(`it changed ${ATTEMPTS} times while being re-sealed`);
  }

  /** The outcome, or `failed` with a line saying which record and why (a missing key, a damaged value). */
  const settle = async (what: string, work: () => Promise<Outcome>): Promise<Outcome> => {
    try {
      return await work();
    } catch (error) {
      report.failures.push(`${what}: ${(error as Error).message ?? String(error)}`);
      return 'failed';
    }
  };

  let read = 0;
  for (let after: string | null = null; ; ) {
    const page = await repository.listMethodsPage(after, options.batchSize);
    if (page.length === 0) break;
    const outcomes = await Promise.all(
      page.map((m) => settle(`method ${m.id} (${m.kind}) of user ${m.userId}`, () => resealMethod(m))),
    );
    outcomes.forEach((outcome, i) => {
      const kind = page[i]?.kind ?? '';
      if (outcome === 'unknown')
        report.methods.unknownKinds.set(kind, (report.methods.unknownKinds.get(kind) ?? 0) + 1);
      else report.methods[outcome]++;
    });
    read += page.length;
    after = page[page.length - 1]?.id ?? null;
    options.progress?.(`methods: ${read} read, ${report.methods.resealed} re-sealed so far`);
  }

  const tokens = await repository.listTokens();
  for (let i = 0; i < tokens.length; i += options.batchSize) {
    const batch = tokens.slice(i, i + options.batchSize);
    const outcomes = await Promise.all(
      batch.map((t) => settle(`OATH token ${t.serial}`, () => resealToken(t))),
    );
    for (const outcome of outcomes)
      if (outcome !== 'unknown' && outcome !== 'nothingSealed') report.tokens[outcome]++;
    options.progress?.(`OATH tokens: ${i + batch.length} of ${tokens.length} read`);
  }
  return report;
}
