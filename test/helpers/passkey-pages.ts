// Passkey steps for tests that drive server-rendered pages, with the software authenticator
// (soft-authenticator.ts): the WebAuthn options a page embeds for its passkey form (a JSON block
// `<formId>-options`, as src/web/passkey-forms.ts writes it), and a passkey registered straight
// through the engine for a test's setup.
import assert from 'node:assert/strict';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import type { Mfa } from '../../src/index.ts';
import { asCredential, type SoftAuthenticator } from './soft-authenticator.ts';

function embedded(html: string, formId: string): unknown {
  const m = new RegExp(`<script type="application/json" id="${formId}-options">([^<]*)</script>`).exec(html);
  assert.ok(m?.[1], `no options for the passkey form ${formId} in the page:\n${html.slice(0, 1500)}`);
  return JSON.parse(m[1]);
}

/** The creation options of a setup page's passkey form (`mfakit-register`). */
export const creationOptionsOn = (html: string) =>
  embedded(html, 'mfakit-register') as PublicKeyCredentialCreationOptionsJSON;

/** The request options of a prompt's passkey form (`mfakit-webauthn`, one per challenge kind). */
export const requestOptionsOn = (html: string, formId = 'mfakit-webauthn') =>
  embedded(html, formId) as PublicKeyCredentialRequestOptionsJSON;

/** Registers a passkey of `authenticator` for `user` through the engine (no pages); its method id. */
export async function enrolPasskeyThroughEngine(
  mfa: Mfa,
  authenticator: SoftAuthenticator,
  user: string,
  label = 'Passkey',
): Promise<string> {
  const draft = await mfa.enrollment.begin('webauthn', user, user);
  const options = draft.fields.options as unknown as PublicKeyCredentialCreationOptionsJSON;
  const confirmed = await mfa.enrollment.confirm(
    'webauthn',
    user,
    draft.draftId,
    { credential: asCredential(authenticator.register(options)) },
    label,
    { ip: '127.0.0.1' },
  );
  assert.ok(confirmed.ok, `the passkey was not registered: ${JSON.stringify(confirmed)}`);
  return confirmed.method.id;
}
