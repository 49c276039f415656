// The conditions a policy can have, in the order an evaluation tries them.
import { applications } from './applications.ts';
import { authenticationContext } from './authentication-context.ts';
import { clientAppTypes } from './client-app-types.ts';
import type { PolicyCondition } from './condition.ts';
import { deviceState } from './device-state.ts';
import { locations } from './locations.ts';
import { risk } from './risk.ts';
import { times } from './times.ts';
import { userActions } from './user-actions.ts';
import { users } from './users.ts';

/** Every condition, cheapest first: evaluation stops at the first that fails. */
export const CONDITIONS: readonly PolicyCondition[] = [
  applications,
  userActions,
  users,
  authenticationContext,
  clientAppTypes,
  deviceState,
  locations,
  risk,
  times,
];

export type { ConditionName, ConditionResult, EvaluationFacts, PolicyCondition } from './condition.ts';
