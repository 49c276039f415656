// Authentication strengths as bitmasks: a session's methods are a mask, a strength is a list
// of combination masks, and "satisfied" is one AND per combination. Also what the policies'
// grant requirements leave unmet, and the sentence a user sees for it.
import { AUTH_METHODS, type AuthenticationStrength, type AuthMethod } from './model.ts';

const BIT = new Map<string, number>(AUTH_METHODS.map((m, i) => [m, 1 << i]));

export function methodMask(methods: readonly string[]): number {
  let mask = 0;
  for (const m of methods) mask |= BIT.get(m) ?? 0;
  return mask;
}

export interface CompiledStrength {
  id: string;
  name: string;
  userMessage: string;
  combinations: number[];
}

export function compileStrength(s: AuthenticationStrength): CompiledStrength {
  return {
    id: s.id,
    name: s.name,
    userMessage: s.userMessage ?? `Your organisation requires ${s.name} for this app.`,
    combinations: s.combinations.map((c) => methodMask(c)),
  };
}

export function satisfiesStrength(mask: number, strength: CompiledStrength): boolean {
  for (const combo of strength.combinations) if ((combo & mask) === combo) return true;
  return false;
}

/** What the policies that applied require, one entry per policy that grants with controls. */
export interface GrantRequirement {
  /** The policy id, or `user_state` for the per-user MFA state. */
  source: string;
  operator: 'requireAll' | 'requireOne';
  /** Strength ids (`mfa` for the plain "require MFA" control). */
  strengths: string[];
}

export function satisfiesRequirement(
  mask: number,
  req: GrantRequirement,
  strengths: ReadonlyMap<string, CompiledStrength>,
): boolean {
  const ok = (id: string) => {
    const s = strengths.get(id);
    return s !== undefined && satisfiesStrength(mask, s);
  };
  return req.operator === 'requireAll' ? req.strengths.every(ok) : req.strengths.some(ok);
}

/** Plain "MFA" (the built-in `mfa` strength): the only kind a remembered device may stand in for. */
export const isPlainMfaRequirement = (r: GrantRequirement) =>
  r.strengths.includes('mfa') && (r.operator === 'requireOne' || r.strengths.every((s) => s === 'mfa'));

/** The requirements `methods` leaves unmet (empty: all satisfied). */
export function unmetRequirements(
  methods: readonly string[],
  requirements: readonly GrantRequirement[],
  strengths: ReadonlyMap<string, CompiledStrength>,
): GrantRequirement[] {
  const mask = methodMask(methods);
  return requirements.filter((r) => !satisfiesRequirement(mask, r, strengths));
}

/** The short sentence a user sees for unmet requirements. */
export function requirementMessage(
  unmet: readonly GrantRequirement[],
  strengths: ReadonlyMap<string, CompiledStrength>,
): string | null {
  for (const r of unmet) {
    if (r.operator === 'requireOne' && r.strengths.includes('mfa')) continue;
    const strongest = r.strengths.map((id) => strengths.get(id)).find((s) => s && s.id !== 'mfa');
    if (strongest) return strongest.userMessage;
  }
  return unmet.length > 0 ? (strengths.get('mfa')?.userMessage ?? null) : null;
}

export type { AuthMethod };
