import type { PolicyCondition } from './condition.ts';

/** Whether the request carries a valid remembered-device cookie for this user. */
export const deviceState: PolicyCondition = {
  name: 'deviceState',
  applies: (p) => p.conditions.deviceState !== undefined,
  test: (p, { ctx }) => (p.conditions.deviceState === 'remembered') === (ctx.deviceRemembered === true),
  explain: (p, { ctx }, matched) =>
    `device is ${ctx.deviceRemembered ? 'remembered' : 'not remembered'}; policy targets ${p.conditions.deviceState} devices${matched ? '' : ' (no match)'}`,
};
