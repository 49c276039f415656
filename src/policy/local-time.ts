// Wall-clock time in a time zone, via Intl (so DST and historical offsets are the
// platform's tz database's, not our arithmetic), and whether an instant falls in a policy's
// time window. Formatters are cached per zone, results per zone and minute: evaluation stays
// cheap when many requests share a minute.
import type { TimeWindow } from './model.ts';
import { WEEKDAYS } from './model.ts';

/** A day of the week and the minutes since midnight, in some time zone. */
export interface LocalTime {
  /** 0 = Sunday. */
  day: number;
  /** Minutes since local midnight. */
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const cache = new Map<string, LocalTime>();
const CACHE_MAX = 4096;
const DAY_INDEX: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

export function localTime(epochMs: number, timeZone: string): LocalTime {
  const minute = Math.floor(epochMs / 60_000);
  const key = `${timeZone}\0${minute}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, format);
  }
  let day = 0;
  let hour = 0;
  let min = 0;
  for (const part of format.formatToParts(minute * 60_000)) {
    if (part.type === 'weekday') day = DAY_INDEX[part.value] ?? 0;
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') min = Number(part.value);
  }
  const result = { day, minutes: hour * 60 + min };
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(key, result);
  return result;
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Whether the instant falls in the window. A window whose end is before its start runs past
 * midnight: Mon 22:00–06:00 covers Monday night and Tuesday morning.
 */
export function inWindow(epochMs: number, window: TimeWindow): boolean {
  const { day, minutes } = localTime(epochMs, window.timeZone);
  const start = toMinutes(window.start);
  const end = toMinutes(window.end);
  const has = (d: number) => window.days.includes(WEEKDAYS[d] ?? 'sun');
  if (start < end) return has(day) && minutes >= start && minutes < end;
  return (has(day) && minutes >= start) || (has((day + 6) % 7) && minutes < end);
}

export function describeWindow(w: TimeWindow): string {
  return `${w.days.join(',')} ${w.start}-${w.end} ${w.timeZone}`;
}
