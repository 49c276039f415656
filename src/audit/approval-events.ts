// Typed audit events of sign-ins approved elsewhere (src/audit/events.ts holds the rest and the
// envelope): a push app's or a keypad call's answer to an approval request, recorded alike
// (src/engine/approval-answers.ts), and what those channels refused — requests no registered
// device signed, keys for no call that may be answered — audited once a minute per reason.

export type ApprovalAnswerEvent =
  | {
      /**
       * A registered device answered a notification (push): `approved`, `denied` or `fraud`
       * (the user reported it: the fraud flag is set); `data.reason` when the app's approval
       * was turned into a denial (`number_mismatch`) or a report came after an answer
       * (`reported_after_approval` / `_denial` / `_use`).
       */
      type: 'push_answered';
      detail: 'approved' | 'denied' | 'fraud';
      methodId: string;
      methodKind: string;
      data?: { reason: string };
    }
  | {
      /**
       * Keys pressed during a keypad call (a phone call in keypad mode): `approved`, `denied`
       * or `fraud` (0#: the fraud flag is set); `data.reason` when the keys were no approval
       * (`number_mismatch`; `pin_mismatch`, which counts against the phone's `pinAttempts`, not
       * the lockout; `pin_missing`: keys too short for a PIN, counting nothing) or a report came
       * after an answer (`reported_after_approval` / `_denial` / `_use`) or on a call no longer
       * the one to answer (`reported_after_replacement` / `_lapse`).
       */
      type: 'call_answered';
      detail: 'approved' | 'denied' | 'fraud';
      methodId: string;
      methodKind: string;
      data?: { reason: string };
    }
  | {
      /**
       * Keys for no call that may be answered (`call_unknown`, `call_replaced`, `method_removed`,
       * `pin_blocked`: the phone is past its wrong PINs, `already_answered`, `keys_malformed`):
       * once a minute per reason and user, with the count of the others.
       */
      type: 'call_keys_refused';
      detail: string;
      data?: { unreported: number };
    }
  | {
      /** A device request refused: `detail` says why (`device_unknown`, `request_replayed`, `jwt_expired`…). */
      type: 'device_request_refused';
      detail: string;
      /** `unreported`: refusals of this reason from this network since its last row. */
      data: { action: string; unreported?: number };
    };
