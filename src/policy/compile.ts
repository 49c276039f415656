// Compiles a validated document into its indexed form: policies by application (or by user
// action: a user-action policy is never a candidate for a sign-in to an app) and by
// user/group/role, named locations in a CidrTrie (a sorted interval table for IPv4, a prefix
// trie for IPv6). An evaluation then looks only at the policies that could apply to this app
// and this user, and finds the client's locations in about 15 binary-search steps (IPv4) or
// at most 128 trie steps (IPv6), so its cost grows with the policies that could match, not
// with all of them. A compiled set is immutable: replacing the policies swaps in
// a new one, so no request ever sees half a policy set.
import { CidrTrie } from './cidr-trie.ts';
import { type CompiledPolicy, compilePolicy } from './compiled-policy.ts';
import type { EvaluationFacts } from './conditions/index.ts';
import { combine, evaluatePolicy, type PolicyEvaluation, type PolicyResult } from './evaluation.ts';
import { ipBytes, parseCidr } from './ip.ts';
import { BUILT_IN_STRENGTHS, type PolicyContext, type PolicyDocument } from './model.ts';
import { type CompiledStrength, compileStrength } from './strength.ts';

/** A policy document compiled for evaluation, at its version; immutable. */
export interface PolicySet {
  version: number;
  document: PolicyDocument;
  strengths: ReadonlyMap<string, CompiledStrength>;
  /**
   * Whether any application policy is `on` or `reportOnly`: sign-ins and the per-request check
   * consult the set only then, so user-action policies alone cost them nothing.
   */
  active: boolean;
  /** Whether any user-action policy is `on` or `reportOnly` (evaluateRegistration needs no check of it). */
  userActionsActive: boolean;
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

export function compilePolicySet(document: PolicyDocument, version = 0): PolicySet {
  const locationIndex = new Map(document.namedLocations.map((l, i) => [l.id, i]));
  const trusted = document.namedLocations.map((l) => l.trusted);
  const trie = new CidrTrie();
  document.namedLocations.forEach((l, i) => {
    for (const c of l.cidrs) trie.insert(parseCidr(c), i);
  });
  trie.prepare(); // at compile time, not in the first evaluation

  const all = document.policies.map((p, i) => compilePolicy(p, i, locationIndex));
  const live = all.filter((p) => p.policy.state !== 'off');
  const byApp = new Map<string, CompiledPolicy[]>();
  const anyApp: CompiledPolicy[] = [];
  const byAction = new Map<string, CompiledPolicy[]>();
  const byUser = new Map<string, CompiledPolicy[]>();
  const byGroup = new Map<string, CompiledPolicy[]>();
  const byRole = new Map<string, CompiledPolicy[]>();
  const anyUser: CompiledPolicy[] = [];
  for (const p of live) {
    if (p.userActions) for (const action of p.userActions) pushTo(byAction, action, p);
    else if (p.apps?.all) anyApp.push(p);
    else for (const app of p.apps?.include ?? []) pushTo(byApp, app, p);
    if (p.users.all) anyUser.push(p);
    else {
      for (const u of p.users.include) pushTo(byUser, u, p);
      for (const g of p.groups.include) pushTo(byGroup, g, p);
      for (const r of p.roles.include) pushTo(byRole, r, p);
    }
  }
  // The index lists as document indexes in ascending order, in typed arrays: a candidate
  // search then reads contiguous integers, not one scattered policy object per entry. Per app,
  // its own policies are merged with the all-app ones once, here.
  const indexes = (list: readonly CompiledPolicy[]) => Int32Array.from(list, (p) => p.index);
  const indexMap = (map: Map<string, CompiledPolicy[]>) =>
    new Map([...map].map(([key, list]) => [key, indexes(list)] as const));
  const forApp = new Map([...byApp].map(([app, list]) => [app, indexes(union([list, anyApp]))] as const));
  const anyAppIndexes = indexes(anyApp);
  const actionIndexes = indexMap(byAction);
  const anyUserIndexes = indexes(anyUser);
  const userIndexes = indexMap(byUser);
  const groupIndexes = indexMap(byGroup);
  const roleIndexes = indexMap(byRole);
  const NONE = new Int32Array(0);

  /**
   * The live policies in both the app's and the subject's index lists, in document order: one
   * side's entries are marked (in an array reused across evaluations), then the other side is
   * walked for marked ones. The app side is walked when it is the shorter, so its order is
   * kept; otherwise the subject lists are walked and the few hits sorted. Linear in the two
   * sides' lengths, whatever the number of policies.
   */
  const mark = new Uint32Array(all.length);
  let epoch = 0;
  const candidates = (ctx: PolicyContext): readonly CompiledPolicy[] => {
    // The target side: the user action's policies, or the app's (its own and the all-app ones).
    const appSide =
      ctx.userAction !== undefined
        ? (actionIndexes.get(ctx.userAction) ?? NONE)
        : (forApp.get(ctx.app) ?? anyAppIndexes);
    if (appSide.length === 0) return EMPTY;
    const subjectSide: Int32Array[] = [anyUserIndexes, userIndexes.get(ctx.userId) ?? NONE];
    for (const g of ctx.groups ?? []) subjectSide.push(groupIndexes.get(g) ?? NONE);
    for (const r of ctx.roles ?? []) subjectSide.push(roleIndexes.get(r) ?? NONE);
    let subjectCount = 0;
    for (const l of subjectSide) subjectCount += l.length;
    if (subjectCount === 0) return EMPTY;
    if (++epoch === 0xffffffff) {
      mark.fill(0);
      epoch = 1;
    }
    const out: CompiledPolicy[] = [];
    if (appSide.length <= subjectCount) {
      for (const l of subjectSide) for (let k = 0; k < l.length; k++) mark[l[k] ?? 0] = epoch;
      for (let k = 0; k < appSide.length; k++) {
        const i = appSide[k] ?? 0;
        if (mark[i] === epoch) out.push(all[i] as CompiledPolicy);
      }
      return out;
    }
    for (let k = 0; k < appSide.length; k++) mark[appSide[k] ?? 0] = epoch;
    for (const l of subjectSide)
      for (let k = 0; k < l.length; k++) {
        const i = l[k] ?? 0;
        if (mark[i] === epoch) {
          out.push(all[i] as CompiledPolicy);
          mark[i] = 0; // once, even when several of the subject's lists hold it
        }
      }
    return out.sort((a, b) => a.index - b.index);
  };

  const factsFor = (ctx: PolicyContext): EvaluationFacts => {
    // One trie lookup per evaluation, on first use; the trusted answer is kept with it, since
    // several policies usually ask (`exclude: ["trusted"]`).
    let found: Set<number> | null = null;
    let inTrusted = false;
    const locations = () => {
      if (found === null) {
        const ip = ipBytes(ctx.ip);
        const hits = ip === null ? [] : trie.lookup(ip);
        found = new Set(hits);
        for (const i of hits) if (trusted[i]) inTrusted = true;
      }
      return found;
    };
    return {
      ctx,
      locations,
      inTrustedLocation: () => {
        locations();
        return inTrusted;
      },
      namedLocations: document.namedLocations,
    };
  };

  return {
    version,
    document,
    strengths: strengthMap(document),
    active: live.some((p) => p.userActions === null),
    userActionsActive: live.some((p) => p.userActions !== null),
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
