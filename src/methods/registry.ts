// The methods enabled by `createMfa({ methods })`, built over the engine's services (each kind
// valid and listed once) and looked up by kind, by record or by input. A record of a kind that
// is not enabled (a method taken out of the options) is listed but gives nothing: it cannot be
// verified and satisfies no strength.
import { ConfigError } from '../errors.ts';
import type { AuthMethod } from '../policy/model.ts';
import type { MethodRecord, MethodRelease } from '../store/ports.ts';
import type { FactorInput, MethodDefinition, MethodServices, MethodSummary, SignInMethod } from './method.ts';

const KIND = /^[a-z][a-z0-9_-]{0,31}$/;

export interface MethodRegistry {
  /** In the order the options list them: the order a typed code is tried in. */
  readonly all: readonly SignInMethod[];
  get(kind: string): SignInMethod | undefined;
  /** The enabled method a record belongs to, or undefined. */
  of(record: MethodRecord): SignInMethod | undefined;
  /** The strength method a record gives, or null when its method is not enabled. */
  strengthOf(record: MethodRecord): AuthMethod | null;
  /** Methods users register themselves, with what each would give. */
  readonly enrollable: readonly (SignInMethod & Required<Pick<SignInMethod, 'enrollment'>>)[];
  /** The methods whose input this is. */
  accepting(input: FactorInput): SignInMethod[];
  /** What may be shown of a record: no secret (`isDefault` false: the user's choice is not the record's). */
  summarize(record: MethodRecord): MethodSummary;
  /** What removing a record gives back in the same write (its method's `released`), if anything. */
  releaseOf(record: MethodRecord): MethodRelease | undefined;
  /** For a record removed without its release (a user reset): releases it now, then its method's `removed`. */
  releaseAfterRemoval(record: MethodRecord): Promise<void>;
}

export function createMethodRegistry(
  definitions: readonly MethodDefinition[],
  services: MethodServices,
): MethodRegistry {
  const seen = new Set<string>();
  for (const d of definitions) {
    if (!KIND.test(d.kind))
      throw new ConfigError(`methods: "${d.kind}" is not a method kind (a-z, 0-9, _ and -)`);
    if (seen.has(d.kind)) throw new ConfigError(`methods: ${d.kind} is listed twice`);
    seen.add(d.kind);
  }
  const all = definitions.map((d) => {
    const method = d.create(services);
    if (method.kind !== d.kind)
      throw new ConfigError(`methods: ${d.kind} built a method of kind ${method.kind}`);
    return method;
  });
  const byKind = new Map(all.map((m) => [m.kind, m]));
  const of = (record: MethodRecord) => byKind.get(record.kind);
  return {
    all,
    get: (kind) => byKind.get(kind),
    of,
    strengthOf: (record) => of(record)?.strength(record) ?? null,
    enrollable: all.filter((m): m is SignInMethod & Required<Pick<SignInMethod, 'enrollment'>> =>
      Boolean(m.enrollment),
    ),
    accepting: (input) => all.filter((m) => m.accepts(input)),
    releaseOf: (record) => of(record)?.released?.(record),
    async releaseAfterRemoval(record) {
      const release = of(record)?.released?.(record);
      if (release?.counterKey !== undefined) await services.repository.deleteCounter(release.counterKey);
      if (release?.tokenSerial !== undefined)
        await services.repository.unassignToken(release.tokenSerial, record.userId);
      await of(record)?.removed?.(record);
    },
    summarize(record) {
      const described = of(record)?.describe(record) ?? { description: record.kind, details: {} };
      return {
        id: record.id,
        kind: record.kind,
        label: record.label,
        ...described,
        createdAt: record.createdAt,
        lastUsedAt: record.lastUsedAt,
        isDefault: false,
      };
    },
  };
}
