// The times condition: time windows in a time zone — the request's time is inside an included
// window (if any are listed) and in no excluded one.
import { describeWindow, inWindow } from '../local-time.ts';
import type { PolicyCondition } from './condition.ts';

export const times: PolicyCondition = {
  name: 'times',
  applies: (p) => p.conditions.times !== undefined,
  test: (p, { ctx }) => {
    const t = p.conditions.times;
    if (!t) return false;
    if (t.include.length > 0 && !t.include.some((w) => inWindow(ctx.time, w))) return false;
    return !t.exclude.some((w) => inWindow(ctx.time, w));
  },
  explain: (p, { ctx }) => {
    const t = p.conditions.times;
    const at = new Date(ctx.time).toISOString();
    const out = t?.exclude.find((w) => inWindow(ctx.time, w));
    if (out) return `${at} is in excluded window ${describeWindow(out)}`;
    if (t && t.include.length > 0) {
      const inc = t.include.find((w) => inWindow(ctx.time, w));
      return inc ? `${at} is in window ${describeWindow(inc)}` : `${at} is outside every included window`;
    }
    return `${at} is in no excluded window`;
  },
};
