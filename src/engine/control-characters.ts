// Control characters in what a user or client types. C0 controls and DEL (U+0000–U+001F, U+007F)
// belong in no identifier or label, and a typed value becomes a store key or a text column
// (the throttle's `ff-hard:…`, a method's label), where a NUL is more than PostgreSQL's text
// accepts. The first-factor gate, the enrolment label (engine and request bodies) and the token
// inventory refuse such values before any store sees them.
import { MfaError } from '../errors.ts';

/** Whether `text` holds a C0 control character or DEL. */
export function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** The refusal of a method label holding one: 400 `invalid_label`, as the request bodies answer it. */
export const LABEL_CONTROL_MESSAGE = 'label must not contain control characters';

/** Throws `invalid_label` (400) for a label that holds a control character. */
export function checkLabel(label: string): void {
  if (hasControlCharacters(label)) throw new MfaError('invalid_label', LABEL_CONTROL_MESSAGE, 400);
}
