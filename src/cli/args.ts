// Argument helpers shared by the CLI commands: strict option parsing, positional checks,
// identifiers and durations that throw UsageError (exit 2), and the request context every CLI
// change is audited with.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { hasControlCharacters } from '../engine/control-characters.ts';
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

/**
 * The value of `--name` naming a record (a user id, an app password's id): one holding a control
 * character (a NUL, which PostgreSQL cannot store; an escape sequence for the terminal) names
 * none, so it is refused before any store is opened, shown escaped.
 */
export function identifier(name: string, value: string): string {
  if (hasControlCharacters(value))
    throw new UsageError(`--${name} must not contain control characters (got ${JSON.stringify(value)})`);
  return value;
}

const UNITS: Record<string, number> = { m: 1, h: 60, d: 1440 };

/**
 * `30m`, `1h`, `2d` or plain minutes, as minutes (tap's --lifetime, audit prune's --older-than);
 * `label` names the option or variable in the message.
 */
export function parseMinutes(label: string, value: string): number {
  const match = /^(\d{1,6})([mhd]?)$/.exec(value.trim());
  if (!match)
    throw new UsageError(`${label} must be minutes or a duration such as 30m, 1h, 2d (got "${value}")`);
  return Number(match[1]) * (UNITS[match[2] || 'm'] as number);
}
