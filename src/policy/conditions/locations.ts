// The locations condition: the client address must be in an included named location (`any`,
// `trusted`, or an id) and in no excluded one. The address is the one the trusted-proxy rules
// resolved; a spoofed X-Forwarded-For never reaches here. An unparseable address is in no
// location.
import type { LocationRefs } from '../compiled-policy.ts';
import type { EvaluationFacts, PolicyCondition } from './condition.ts';

/** Which of `refs` holds the client address, as text for the explanation; null: none. */
function inRefs(refs: LocationRefs, facts: EvaluationFacts): string | null {
  if (refs.any) return 'any location';
  const found = facts.locations();
  if (refs.trusted && facts.inTrustedLocation()) {
    for (const i of found) {
      const l = facts.namedLocations[i];
      if (l?.trusted) return `trusted location "${l.id}"`;
    }
    return 'a trusted location';
  }
  for (const i of refs.ids) if (found.has(i)) return `location "${facts.namedLocations[i]?.id}"`;
  return null;
}

export const locations: PolicyCondition = {
  name: 'locations',
  applies: (p) => p.locations !== null,
  test: (p, facts) =>
    p.locations !== null &&
    inRefs(p.locations.include, facts) !== null &&
    inRefs(p.locations.exclude, facts) === null,
  explain: (p, facts) => {
    if (!p.locations) return 'no location condition';
    const ip = facts.ctx.ip;
    const out = inRefs(p.locations.exclude, facts);
    if (out !== null) return `${ip} is in excluded ${out}`;
    const inc = inRefs(p.locations.include, facts);
    return inc === null ? `${ip} is in no included location` : `${ip} is in included ${inc}`;
  },
};
