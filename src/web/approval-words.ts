// What a page (or a RADIUS prompt) says of a sign-in approved elsewhere, written once for both
// ways one is answered: in the app of a device (`push`), or on a phone's keypad during a call
// (`voice`). Each says where to type the page's number; none ever says it anywhere else.

/** Where it is answered (`voice`: a keypad call; anything else: an app), where to, the number. */
type Approval = { channel: string; to: string; number: string };

const byKeypad = (a: Pick<Approval, 'channel'>) => a.channel === 'voice';

/** After the send: what was sent where, and what to do. */
export const approvalSent = (a: Approval) =>
  byKeypad(a)
    ? `We are calling ${a.to}. When the call asks, enter ${a.number} on the phone's keypad, then press Continue.`
    : `We sent a notification to ${a.to}. Enter ${a.number} in the app and approve, then press Continue.`;

/** Continue pressed before the answer came. */
export const approvalPending = (a: Approval) =>
  byKeypad(a)
    ? `Waiting for your answer: when the call to ${a.to} asks, enter ${a.number} on the keypad. Then press Continue.`
    : `Waiting for your approval: open the notification on ${a.to}, enter ${a.number} in the app and approve. Then press Continue.`;

/** The words above the number, large, on the page. */
export const approvalLabel = (a: Pick<Approval, 'channel' | 'to'>) =>
  byKeypad(a)
    ? `When the call to ${a.to} asks, enter this number on the keypad:`
    : `Enter this number in the app on ${a.to}:`;

/** A RADIUS client's prompt (its user answers with Enter). */
export const approvalPrompt = (a: Approval) =>
  byKeypad(a)
    ? `Answer the call to ${a.to} and enter ${a.number} on its keypad, then press Enter.`
    : `Enter ${a.number} in the app on ${a.to}, then press Enter.`;
