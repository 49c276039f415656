// The OATH hardware-token inventory: CSV import, the list, assignment to a user (which
// registers the token as the user's method), HOTP resynchronisation.
import type { OathTokenSummary } from '../methods/oath-tokens/inventory.ts';
import type { MethodRecord } from '../store/ports.ts';
import { checkLabel } from './control-characters.ts';
import type { EngineContext } from './engine-context.ts';
import type { RequestContext } from './sign-in-types.ts';

export interface TokenInventory {
  /** Validates, seals and stores every token of the CSV, or none. */
  importCsv(csv: string, ctx: RequestContext): Promise<{ imported: number }>;
  list(): Promise<OathTokenSummary[]>;
  /** Assigns an unassigned token to a user as their method (`token_unavailable` if taken or absent). */
  assign(serial: string, userId: string, label: string, ctx: RequestContext): Promise<MethodRecord>;
  /** Moves a HOTP token's counter forward after two consecutive codes; false if they are not. */
  resync(
    userId: string,
    methodId: string,
    code1: string,
    code2: string,
    ctx: RequestContext,
  ): Promise<boolean>;
}

export function createTokenInventory(
  engine: EngineContext,
  afterEnrollment: (userId: string, method: MethodRecord, ctx: RequestContext) => Promise<void>,
): TokenInventory {
  const { oathTokens } = engine;
  return {
    importCsv: (csv, ctx) => oathTokens.importCsv(csv, ctx),
    list: () => oathTokens.list(),
    async assign(serial, userId, label, ctx) {
      checkLabel(label);
      const method = await oathTokens.assign(serial, userId, label, ctx);
      await afterEnrollment(userId, method, ctx);
      return method;
    },
    resync: (userId, methodId, code1, code2, ctx) => oathTokens.resync(userId, methodId, code1, code2, ctx),
  };
}
