/** Shared fixtures of the conditional-access attack tests: payroll policies and a repository wrapper. */
import { allUsers } from '../../helpers/policies.ts';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export const payrollNeedsToken = (session: Record<string, unknown> = {}) => ({
  id: 'payroll-token',
  name: 'Payroll needs a hardware token',
  state: 'on',
  assignments: { ...allUsers, applications: { include: ['payroll'] } },
  grant: { controls: [{ authenticationStrength: 'hardwareToken' }] },
  session,
});

export const payrollNeedsMfa = (session: Record<string, unknown> = {}) => ({
  id: 'payroll-mfa',
  name: 'Payroll needs MFA',
  state: 'on',
  assignments: { ...allUsers, applications: { include: ['payroll'] } },
  grant: { controls: ['mfa'] },
  session,
});

/** A repository with some methods replaced (a Proxy, since the memory store uses #private fields). */
export function wrapRepository<R extends object>(repo: R, overrides: Partial<Record<keyof R, unknown>>): R {
  return new Proxy(repo, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof R];
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
