// The risk condition: risk signals the engine computed for this sign-in — any of the policy's
// listed signals present, or at least its threshold of recent failures.
import type { PolicyContext, RiskSignal } from '../model.ts';
import type { PolicyCondition } from './condition.ts';

/** The listed signals present in this request's risk facts. */
function present(signals: readonly RiskSignal[], ctx: PolicyContext): RiskSignal[] {
  return signals.filter((s) => ctx.risk?.[s] === true);
}

export const risk: PolicyCondition = {
  name: 'risk',
  applies: (p) => p.conditions.risk !== undefined,
  test: (p, { ctx }) => {
    const r = p.conditions.risk;
    if (!r) return false;
    if (present(r.signals, ctx).length > 0) return true;
    return (
      r.failureVelocityAtLeast !== undefined && (ctx.risk?.recentFailures ?? 0) >= r.failureVelocityAtLeast
    );
  },
  explain: (p, { ctx }, matched) => {
    const r = p.conditions.risk;
    const found = r ? present(r.signals, ctx) : [];
    const failures = ctx.risk?.recentFailures ?? 0;
    const parts = [found.length > 0 ? `signals present: ${found.join(', ')}` : 'no listed signal present'];
    if (r?.failureVelocityAtLeast !== undefined)
      parts.push(`${failures} recent failures (threshold ${r.failureVelocityAtLeast})`);
    return `${matched ? 'risky' : 'not risky'}: ${parts.join('; ')}`;
  },
};
