// The push delivery port: how a notification reaches a registered device (APNs, FCM, a
// provider of your own). mfakit writes the notification — the service's name and the
// transaction's id, never the number to match — and hands it over; a deployment gives its
// provider as `pushMethod({ delivery })`. The app then fetches what is waiting for it with a
// signed request, so a lost notification only means the user opens the app. The default, the
// outbox, sends nothing: it keeps the notifications in memory (tests and the sample read them)
// and prints a line for each outside production, so a demo works offline.

/** One notification to deliver to one device. */
export interface PushNotification {
  /** The device: its id (the method's), the token its platform gave the app (null: none given), its name. */
  to: { deviceId: string; pushToken: string | null; name: string };
  /** The transaction the app fetches and answers. */
  transactionId: string;
  /** e.g. "Approve sign-in to Example IdP?" */
  title: string;
  /** e.g. "Open the app and enter the number shown on the sign-in page." */
  body: string;
}

/** What sends notifications: resolve once the provider accepted it, reject if it did not. */
export interface PushDelivery {
  send(notification: PushNotification): Promise<void>;
}

/** The development outbox: every notification kept, in order, and printed unless `print: false`. */
export interface PushOutbox extends PushDelivery {
  readonly notifications: PushNotification[];
  /** The last notification to `deviceId` (any device when omitted), or undefined. */
  last(deviceId?: string): PushNotification | undefined;
}

export function pushOutbox(options: { print?: boolean; max?: number } = {}): PushOutbox {
  const notifications: PushNotification[] = [];
  const max = options.max ?? 1000;
  return {
    notifications,
    async send(notification) {
      notifications.push({ ...notification, to: { ...notification.to } });
      if (notifications.length > max) notifications.shift();
      if (options.print !== false)
        console.log(
          `mfakit push outbox (to ${notification.to.name}): ${notification.title} [transaction ${notification.transactionId}]`,
        );
    },
    last: (deviceId) => notifications.findLast((n) => deviceId === undefined || n.to.deviceId === deviceId),
  };
}
