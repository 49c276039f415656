// Sign-in signals: what conditional access reads as risk. Sightings are the networks and
// devices seen at a user's completed sign-ins (the last time each was seen); the fraud flag is
// set by a user's fraud report and cleared by an administrator. The contract checks: a sighting
// only moves forward in time (fifty concurrent sightings at shuffled times end at the latest),
// users, kinds and keys are kept apart even when they contain separators, and a flag is set,
// replaced and cleared per user.

/** Kinds of things the engine remembers seeing at a user's successful sign-ins (risk signals). */
export type SightingKind = 'network' | 'device';

export interface SignInSignalStore {
  /** When this user last completed a sign-in with this network/device key, or null if never. */
  getSighting(userId: string, kind: SightingKind, key: string): Promise<number | null>;
  /** Upsert: lastSeen becomes max(stored, at). */
  recordSighting(userId: string, kind: SightingKind, key: string, at: number): Promise<void>;
  /** When the user was flagged by a fraud report, or null if not flagged. */
  getFraudFlag(userId: string): Promise<number | null>;
  /** Flags (at = time) or clears (null) the fraud flag. */
  setFraudFlag(userId: string, at: number | null): Promise<void>;
}
