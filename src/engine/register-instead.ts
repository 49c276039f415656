// "Interrupt mode" (Entra ID): when none of a user's methods meets what a sign-in requires, the
// methods the user could register instead — the enrollable kinds whose registration would meet
// it, the registered methods that may prove it is them first, and the registration policy (user
// action registerSecurityInfo) that refuses it, if any, evaluated as it will be after that proof.
// Reads only; decide() turns the answer into a `register_method` step or a block with its reason.
import type { MethodRegistry } from '../methods/registry.ts';
import type { PolicySet } from '../policy/compile.ts';
import type { AuthMethod, ClientAppType, RiskFacts } from '../policy/model.ts';
import { evaluateRegistration } from '../policy/registration.ts';
import type { MethodRecord } from '../store/ports.ts';

export interface RegisterInsteadFacts {
  userId: string;
  ip: string;
  groups: string[];
  roles: string[];
  clientAppType?: ClientAppType | undefined;
  risk: RiskFacts;
  time: number;
  /** The user's registered methods. */
  methods: readonly MethodRecord[];
  /** What the first factor counts as. */
  first: readonly AuthMethod[];
  /** Whether the first factor plus this method meets the sign-in's requirements. */
  satisfiedWith(extra: AuthMethod | null): boolean;
}

export function registerInstead(
  enabled: MethodRegistry,
  set: PolicySet,
  f: RegisterInsteadFacts,
): { kinds: string[]; proofIds: string[]; blockedBy: string | null } {
  const kinds = enabled.enrollable.filter((m) => f.satisfiedWith(m.enrollment.strength)).map((m) => m.kind);
  const proof = f.methods.flatMap((m) => {
    const strength = enabled.strengthOf(m);
    return strength === null ? [] : [{ id: m.id, strength }];
  });
  if (kinds.length === 0 || (proof.length === 0 && !f.first.includes('temporaryAccessPass')))
    return { kinds: [], proofIds: [], blockedBy: null };
  let blockedBy: string | null = null;
  if (set.userActionsActive) {
    const verdict = evaluateRegistration(
      set,
      {
        userId: f.userId,
        groups: f.groups,
        roles: f.roles,
        ip: f.ip,
        clientAppType: f.clientAppType,
        risk: f.risk,
        time: f.time,
      },
      { methods: [...f.first, ...proof.map((p) => p.strength)] },
    );
    if (verdict.action === 'block') blockedBy = verdict.blockedBy.join(' ');
    else if (verdict.action !== 'allow') blockedBy = verdict.unmet.map((r) => r.source).join(' ');
  }
  return { kinds, proofIds: proof.map((p) => p.id), blockedBy };
}
