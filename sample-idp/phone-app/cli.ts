// The sample's phone app, in a terminal: `npm run phone-app -- '<activation link>'` registers
// this terminal as a device (the link is under the QR code on the setup page: "or give the app
// this link"), prints the confirmation code to type on the page (press Enter here once typed),
// then waits for sign-in requests: for each one it asks for the number the sign-in page shows
// (or `deny`, or `fraud` to report it). Its key and device id are kept in a file (`--state`,
// default ./.mfakit-phone-app.json: a demo, so the private key sits in a plain file), so
// `npm run phone-app` alone listens again later.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { createDeviceClient, type DeviceClient, type DeviceState } from './device-client.ts';

const POLL_MS = 2000;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    state: { type: 'string', default: '.mfakit-phone-app.json' },
    name: { type: 'string', default: 'Terminal phone app' },
    once: { type: 'boolean', default: false },
  },
});

const ask = createInterface({ input: process.stdin, output: process.stdout });
/** Keeps the device (its private key too) in the state file, readable by this user only. */
const save = (client: DeviceClient) => {
  writeFileSync(values.state, JSON.stringify(client.state, null, 2), { mode: 0o600 });
  chmodSync(values.state, 0o600); // an existing file keeps its mode otherwise
};

async function start(): Promise<DeviceClient> {
  const link = positionals[0];
  if (link) {
    const client = await createDeviceClient();
    const reply = await client.activate(link, { name: values.name });
    if (reply.status !== 200) throw new Error(`activation refused: ${reply.body.message ?? reply.status}`);
    save(client);
    console.log(`Registered with ${client.state.service} as ${client.state.account}.`);
    console.log(`Type this code on the setup page: ${reply.body.confirmationCode}`);
    // Until the code is typed the device is not registered: asking for requests before then is refused.
    await ask.question('Press Enter here once you have typed it. ');
    return client;
  }
  if (!existsSync(values.state))
    throw new Error(
      `no device yet: run with the activation link first (npm run phone-app -- 'mfakit-push://activate?…')`,
    );
  const saved = JSON.parse(readFileSync(values.state, 'utf8')) as DeviceState;
  return createDeviceClient({ saved });
}

async function listen(client: DeviceClient): Promise<void> {
  console.log(`Waiting for sign-in requests from ${client.state.service} (Ctrl-C stops).`);
  const answered = new Set<string>();
  for (;;) {
    const reply = await client.pending();
    if (reply.status !== 200)
      throw new Error(`the server refused this device: ${reply.body.message ?? reply.status}`);
    const [waiting] = reply.body.notifications as Array<{ id: string; service: string }>;
    if (waiting && !answered.has(waiting.id)) {
      answered.add(waiting.id);
      const typed = (
        await ask.question(
          `Sign-in request for ${waiting.service}. Enter the number shown on the sign-in page (or "deny", or "fraud" to report it): `,
        )
      ).trim();
      const answer = typed === 'deny' || typed === 'fraud' ? typed : 'approve';
      const result = await client.answer(waiting.id, answer, answer === 'approve' ? typed : undefined);
      console.log(
        result.status === 200
          ? `Answered: ${result.body.answer}.${result.body.message ? ` ${result.body.message}` : ''}`
          : `Refused: ${result.body.message}`,
      );
      if (values.once) return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

try {
  const client = await start();
  await listen(client);
} catch (err) {
  console.error(`phone-app: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  ask.close();
  process.stdin.destroy();
}
