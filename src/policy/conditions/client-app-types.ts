// The client-app-types condition: the kind of client — a browser, a mobile/desktop app, or a
// legacy protocol (RADIUS, basic auth); a request that names none counts as a browser.
import type { PolicyCondition } from './condition.ts';

export const clientAppTypes: PolicyCondition = {
  name: 'clientAppTypes',
  applies: (p) => p.clientAppTypes !== null,
  test: (p, { ctx }) => p.clientAppTypes?.has(ctx.clientAppType ?? 'browser') === true,
  explain: (p, { ctx }, matched) =>
    `client type "${ctx.clientAppType ?? 'browser'}" is ${matched ? '' : 'not '}one of ${[...(p.clientAppTypes ?? [])].join(', ')}`,
};
