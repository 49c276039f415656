// The command line's usage text, and the error that makes the CLI exit with status 2.

export const USAGE = `Usage:
  mfakit what-if --user ID --ip ADDRESS (--policies FILE | STORE) [options]
  mfakit policies validate FILE
  mfakit policies list STORE [--json]
  mfakit policies show ID STORE
  mfakit policies export STORE
  mfakit policies import FILE STORE [--if-version N] [--create]
  mfakit policies enable|disable|report-only ID STORE [--if-version N]
  mfakit policies delete ID STORE [--if-version N]
  mfakit tap issue --user ID STORE [--lifetime DURATION] [--once|--multi] [--start ISO] [--json]
  mfakit tap show --user ID STORE [--json]
  mfakit tap revoke --user ID STORE
  mfakit app-passwords list --user ID STORE [--json]
  mfakit app-passwords revoke --user ID STORE [--id ID]
  mfakit reseal --store sqlite:PATH|postgres:URL|postgres [--schema NAME] [--batch N]
  mfakit audit prune --older-than DURATION STORE [--batch N] [--json]

STORE, the application's records (what-if, policies, tap, app-passwords, audit prune):
  --store sqlite:PATH       an mfakit SQLite database
  --store postgres:URL      a PostgreSQL database (or a bare postgres:// URL;
                            --store postgres alone reads DATABASE_URL)
  --schema NAME             the PostgreSQL schema holding mfakit's tables (default mfakit)
  --db FILE                 the same as --store sqlite:FILE
  The file or schema must exist (policies import --create creates it). On PostgreSQL, what-if
  reads the lockout counters from the schema too, where a deployment on PostgreSQL alone keeps
  them (one that keeps them in Redis shows no lock).

what-if: the decision for a hypothetical sign-in, with every policy explained. It reads only.
  --user ID                 the user id (required)
  --ip ADDRESS              the client address (required)
  --app NAME                the application (client id or app name); default "default"
  --groups A,B              the user's groups (with a store too: the CLI has no directory)
  --roles A,B               the user's roles
  --client TYPE             browser, mobileDesktop or legacy
  --remembered              the request carries a remembered-device cookie
  --device-age-days N       days since the device was remembered (with --remembered)
  --risk S,S                risk signals present: newDevice, newNetwork, fraudFlagged (the others
                            are absent; without --risk, with a store, newNetwork and fraudFlagged
                            come from the store)
  --failures N              recent failed second-factor attempts
  --context C1,C2           authentication contexts the request asks for
  --time ISO|MS             when, e.g. 2026-12-01T09:30:00Z; default now
  --user-action ACTION      registerSecurityInfo: may the user register a method (only policies with
                            userActions apply; not with --app or --context)
  --user-state STATE        disabled, enabled or enforced: the per-user MFA state when the store has
                            none (with --policies, always); default disabled with --policies (the
                            policies alone decide), enabled with a store
  --trusted-network CIDR    the application's trustedNetworks option (repeatable or comma-separated)
  --policies FILE           a policy document (.json, .yaml, .yml); the user has no methods
  STORE                     instead: the application's saved policies and the user's real
                            state and methods
  --json                    print the decision as JSON

policies: the conditional-access document saved in the store. Every change is a
compare-and-set on the version it was read at (--if-version N: on the version you saw) and is
audited as a change by "cli". validate checks a file and exits 1 listing each problem.

tap: the user's Temporary Access Pass (one per user) in the store. issue prints a new
pass once (it replaces any earlier one; it is stored as a keyed hash); show prints its status
(pending, active, used, expired) without the secret; revoke deletes it. Audited as by "cli".
  --lifetime DURATION       30m, 1h, 2d or plain minutes; default 60 minutes, from 10 minutes
                            to 8 hours unless MFAKIT_TAP_MAX_LIFETIME says more
  --once | --multi          one-time use (the default) or usable until it expires
  --start ISO               valid from then (with a zone, at most 30 days ahead); default now

app-passwords: the user's app passwords (for legacy clients) in the store, as when a device is
lost. list prints each one's id, name, applications, creation, last use and expiry (never the
password or its hash); revoke deletes the one --id names (exit 1 if it is not the user's), or
all of them without --id, and prints how many. Each is audited as app_password_revoked with
detail "admin" (an administrator's), from 127.0.0.1.
  --id ID                   revoke: the app password to delete (as list shows it)
  --json                    list: print them as a JSON array (times ISO, null when none)

reseal: sealing-key rotation. Seals every stored secret (authenticator-app and token seeds in the
methods, the OATH token inventory) again under the current key of MFAKIT_SEALING_KEYS, opening
old values with the keys after it; values already under the current key are left alone, so a
run can be repeated or resumed. Each record is replaced only if unchanged since it was read.
Prints the counts and audits them in the store (secrets_resealed, by "cli"); exit 1 if any
record could not be re-sealed (or is of a kind it does not know). Keyed hashes (recovery codes,
remembered devices, passes) are not re-sealed: they verify while their key stays configured,
until they expire or are regenerated.
  --store, --schema         as STORE above (not --db; the file or schema must exist)
  --batch N                 records read and written at a time (default 500)

audit prune: audit retention. Deletes the audit events older than DURATION from the store, in
batches, then records one audit_pruned event (how many, up to when, by "cli"). Nothing is ever
pruned automatically: run it on a schedule (e.g. daily with --older-than 90d).
  --older-than DURATION     how long events are kept: 90d, 12h, 30m or plain minutes; at least
                            1d (less, --older-than 0 included, is refused with exit 2)
  --batch N                 events deleted per statement (default 1000, at most 10000)
  --json                    print { "removed": N, "before": ISO } as JSON

Environment:
  MFAKIT_SEALING_KEY        base64, 32 bytes: the application's sealing key. Required by tap issue
                            (the application verifies the pass with it); what-if, policies,
                            tap show|revoke, app-passwords and audit prune open no sealed
                            secret, so without it they use a random key
  MFAKIT_SEALING_KEY_ID     that key's id in the application's sealingKeys (required by tap issue)
  MFAKIT_SEALING_KEYS       ID:BASE64,ID:BASE64: several keys, the current one first, as the
                            application's sealingKeys lists them (instead of the two above;
                            required by reseal)
  MFAKIT_TAP_MAX_LIFETIME   tap issue: the longest lifetime allowed (as --lifetime; up to 30d), to
                            match the application's temporaryAccessPass.maxLifetimeMinutes (a
                            longer pass than the application allows never verifies there)

Exit status: 0 success, 1 invalid document or failed operation, 2 usage error.
`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
