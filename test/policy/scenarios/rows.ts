/** Every policy scenario row, in the order the feature modules list them. */
import type { Row } from './fixtures.ts';
import { assignmentRows } from './rows-assignments.ts';
import { conditionRows } from './rows-conditions.ts';
import { sessionTimeRows } from './rows-session-time.ts';

export const rows: Row[] = [...assignmentRows, ...conditionRows, ...sessionTimeRows];
