// The device-state condition: whether the request carries a valid remembered-device cookie for
// this user, matched against the devices a policy targets (`remembered` or `notRemembered`).
import type { PolicyCondition } from './condition.ts';

export const deviceState: PolicyCondition = {
  name: 'deviceState',
  applies: (p) => p.conditions.deviceState !== undefined,
  test: (p, { ctx }) => (p.conditions.deviceState === 'remembered') === (ctx.deviceRemembered === true),
  explain: (p, { ctx }, matched) =>
    `device is ${ctx.deviceRemembered ? 'remembered' : 'not remembered'}; policy targets ${p.conditions.deviceState} devices${matched ? '' : ' (no match)'}`,
};
