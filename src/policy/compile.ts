import { CidrTrie } from './cidr-trie.ts';
import { type CompiledPolicy, compilePolicy } from './compiled-policy.ts';
import type { EvaluationFacts } from './conditions/index.ts';
import { combine, evaluatePolicy, type PolicyEvaluation, type PolicyResult } from './evaluation.ts';
import { ipBytes, parseCidr } from './ip.ts';
import { BUILT_IN_STRENGTHS, type PolicyContext, type PolicyDocument } from './model.ts';
import { type CompiledStrength, compileStrength } from './strength.ts';

/**
 * Compiles a validated document into its indexed form: policies by application and by
 * user/group/role, named locations in a CIDR prefix trie. An evaluation then looks only at
 * the policies that could apply to this app and this user, and finds the client's locations
 * in at most 32 (IPv4) or 128 (IPv6) steps, so its cost grows with the policies that could
 * match, not with all of them. A compiled set is immutable: replacing the policies swaps in
 * a new one, so no request ever sees half a policy set.
 */
export interface PolicySet {
  version: number;
  document: PolicyDocument;
  strengths: ReadonlyMap<string, CompiledStrength>;
  /** Whether an enforceable policy has a risk condition (the engine computes risk signals only then). */
  needsRisk: boolean;
  /** Whether any policy is `on` or `reportOnly`. */
  active: boolean;
  evaluate(ctx: PolicyContext, options?: { explain?: boolean }): PolicyEvaluation;
}

export function strengthMap(doc: Pick<PolicyDocument, 'authenticationStrengths'>) {
  return new Map<string, CompiledStrength>(
    [...BUILT_IN_STRENGTHS, ...doc.authenticationStrengths].map((s) => [s.id, compileStrength(s)]),
  );
}

function pushTo<K>(map: Map<K, CompiledPolicy[]>, key: K, p: CompiledPolicy) {
  const list = map.get(key);
  if (list) list.push(p);
  else map.set(key, [p]);
}

const EMPTY: readonly CompiledPolicy[] = [];

/** Sorted (by document index) union of sorted lists. */
function union(lists: readonly (readonly CompiledPolicy[])[]): readonly CompiledPolicy[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return EMPTY;
  if (nonEmpty.length === 1) return nonEmpty[0] ?? EMPTY;
  const all = nonEmpty.flat().sort((a, b) => a.index - b.index);
  return all.filter((p, i) => i === 0 || all[i - 1] !== p);
}

/** Sorted intersection of two sorted lists. */
function intersect(a: readonly CompiledPolicy[], b: readonly CompiledPolicy[]): CompiledPolicy[] {
  const out: CompiledPolicy[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as CompiledPolicy;
    const y = b[j] as CompiledPolicy;
    if (x.index === y.index) {
      out.push(x);
      i++;
      j++;
    } else if (x.index < y.index) i++;
    else j++;
  }
  return out;
}

export function compilePolicySet(document: PolicyDocument, version = 0): PolicySet {
  const locationIndex = new Map(document.namedLocations.map((l, i) => [l.id, i]));
  const trusted = document.namedLocations.map((l) => l.trusted);
  const trie = new CidrTrie();
  document.namedLocations.forEach((l, i) => {
    for (const c of l.cidrs) trie.insert(parseCidr(c), i);
  });

  const all = document.policies.map((p, i) => compilePolicy(p, i, locationIndex));
  const live = all.filter((p) => p.policy.state !== 'off');
  const byApp = new Map<string, CompiledPolicy[]>();
  const anyApp: CompiledPolicy[] = [];
  const bySubject = new Map<string, CompiledPolicy[]>();
  const anyUser: CompiledPolicy[] = [];
  for (const p of live) {
    if (p.apps.all) anyApp.push(p);
    else for (const app of p.apps.include) pushTo(byApp, app, p);
    if (p.users.all) anyUser.push(p);
    else {
      for (const u of p.users.include) pushTo(bySubject, `u:${u}`, p);
      for (const g of p.groups.include) pushTo(bySubject, `g:${g}`, p);
      for (const r of p.roles.include) pushTo(bySubject, `r:${r}`, p);
    }
  }

  const candidates = (ctx: PolicyContext): readonly CompiledPolicy[] => {
    const forApp = union([byApp.get(ctx.app) ?? EMPTY, anyApp]);
    if (forApp.length === 0) return EMPTY;
    const lists: (readonly CompiledPolicy[])[] = [anyUser, bySubject.get(`u:${ctx.userId}`) ?? EMPTY];
    for (const g of ctx.groups ?? []) lists.push(bySubject.get(`g:${g}`) ?? EMPTY);
    for (const r of ctx.roles ?? []) lists.push(bySubject.get(`r:${r}`) ?? EMPTY);
    return intersect(forApp, union(lists));
  };

  const factsFor = (ctx: PolicyContext): EvaluationFacts => {
    let found: Set<number> | null = null;
    const locations = () => {
      if (found === null) {
        const ip = ipBytes(ctx.ip);
        found = new Set(ip === null ? [] : trie.lookup(ip));
      }
      return found;
    };
    return {
      ctx,
      locations,
      inTrustedLocation: () => {
        for (const i of locations()) if (trusted[i]) return true;
        return false;
      },
      namedLocations: document.namedLocations,
    };
  };

  return {
    version,
    document,
    strengths: strengthMap(document),
    needsRisk: live.some((p) => p.conditions.risk !== undefined),
    active: live.length > 0,
    evaluate(ctx, options = {}) {
      const explain = options.explain === true;
      const facts = factsFor(ctx);
      const list = explain ? all : candidates(ctx);
      const evaluated: { compiled: CompiledPolicy; result: PolicyResult }[] = list.map((compiled) => ({
        compiled,
        result: evaluatePolicy(compiled, facts, explain),
      }));
      return combine(evaluated, explain ? 0 : live.length - list.length, version);
    },
  };
}
