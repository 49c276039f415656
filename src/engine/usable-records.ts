// Which of a user's methods a verification or a send may use: those the policies allow (all
// when unrestricted), optionally one method id only. One filter for the code check and the
// code send, so a send is refused exactly where the code would be.
import type { Repository } from '../store/ports.ts';
import type { MethodRestriction } from './sign-in-types.ts';

export async function usableRecords(
  repository: Pick<Repository, 'listMethods'>,
  userId: string,
  restriction?: MethodRestriction,
  methodId?: string,
) {
  const allowed = restriction ? new Set(restriction.allowedMethodIds) : undefined;
  return (await repository.listMethods(userId, { lastUsed: false })).filter(
    (r) => (allowed === undefined || allowed.has(r.id)) && (methodId === undefined || r.id === methodId),
  );
}
