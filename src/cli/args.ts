// Argument helpers shared by the CLI commands: strict option parsing and positional checks that
// throw UsageError (exit 2), and the request context every CLI change is audited with.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './usage.ts';

/** What the CLI is recorded as in the store and the audit. */
export const BY = 'cli';
/** The request context of a CLI change: there is no client address, so the local one. */
export const LOCAL = { ip: '127.0.0.1', by: BY };

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function positionals(got: string[], names: string[], command: string): string[] {
  if (got.length !== names.length)
    throw new UsageError(
      names.length === 0
        ? `${command} takes no arguments besides options (got "${got[0]}")`
        : `${command} takes ${names.join(' ')} (got ${got.length === 0 ? 'nothing' : got.map((g) => `"${g}"`).join(' ')})`,
    );
  return got;
}
