// What a RADIUS user reads: the Reply-Message of each answer, shown by the VPN client above its
// input box (or in its log). Plain text, one or two short sentences, nothing secret — never
// whether the account exists, never a code.
import type { CodeSender } from '../engine/code-sending.ts';

export const WRONG_CREDENTIALS = 'Wrong user name or password.';
export const MUST_ENROLL =
  'Set up a sign-in method first: sign in to the web portal of your organisation and add an authenticator app, then try again.';
export const NEEDS_BROWSER =
  'This sign-in needs a stronger method than you have set up. Add one on the web portal of your organisation.';
export const BLOCKED = 'You cannot sign in from here. Contact your administrator.';
export const EXPIRED = 'Your sign-in took too long. Sign in again.';
export const WRONG_CODE = 'Wrong code. Sign in again.';
export const UNAVAILABLE = 'Sign-in is unavailable right now. Try again in a few minutes.';
export const APPROVED = 'Signed in.';

/** The word a user types for each kind of method that sends, and what it does. */
export const SEND_WORDS: { word: string; kind: string; does: string }[] = [
  { word: 'push', kind: 'push', does: 'a notification in your app' },
  { word: 'sms', kind: 'sms', does: 'a text message' },
  { word: 'call', kind: 'voice', does: 'a phone call' },
];

/** The senders a word can reach here, in SEND_WORDS order. */
const wordsFor = (senders: CodeSender[]) => SEND_WORDS.filter((w) => senders.some((s) => s.kind === w.kind));

/** The challenge's first prompt: the app's code, and the words that send one. */
export function promptFor(senders: CodeSender[], userMessage: string | null): string {
  const words = wordsFor(senders);
  const sends =
    words.length === 0 ? '' : ` Or type ${words.map((w) => `${w.word} for ${w.does}`).join(', ')}.`;
  const prefix = userMessage ? `${userMessage} ` : '';
  return `${prefix}Enter the code from your authenticator app.${sends}`;
}

export const codeSentPrompt = (to: string) => `Enter the code sent to ${to}.`;

export const tooMany = (seconds: number) =>
  `Too many wrong codes. Try again in ${seconds} ${seconds === 1 ? 'second' : 'seconds'}.`;
