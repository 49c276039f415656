// The page pieces of a browser ceremony (a passkey or security key): the options as a JSON data
// block (never executed; `<` escaped so no value can close it), a form the WebAuthn client
// (webauthn-client.ts) answers into its hidden `credential` field and submits, and the two
// script tags (this origin only: the CSP allows no inline script).
import type { ChallengeOptions } from '../methods/method.ts';
import { html, type SafeHtml, trusted } from './html.ts';

/** A non-executable JSON block a script reads by id. */
export function jsonData(id: string, value: unknown): SafeHtml {
  const json = JSON.stringify(value).replaceAll('<', '\\u003c');
  return html`<script type="application/json" id="${id}">${trusted(json)}</script>`;
}

/** The WebAuthn scripts, served under the integration's base path. */
export function webauthnScriptTags(basePath: string): SafeHtml {
  return html`<script src="${basePath}/assets/webauthn-browser.js"></script><script src="${basePath}/assets/webauthn-client.js"></script>`;
}

/**
 * A form whose submit button runs the ceremony (`register` or `authenticate`) with `options`
 * embedded in the page, or fetched from `optionsUrl` (with a `challengeId`), and posts the answer.
 */
export function ceremonyForm(p: {
  id: string;
  mode: 'register' | 'authenticate' | 'autofill';
  action: string;
  label: string;
  hidden: SafeHtml;
  options?: ChallengeOptions;
  optionsUrl?: string;
}): SafeHtml {
  const dataId = `${p.id}-options`;
  return html`${p.options ? jsonData(dataId, p.options) : ''}
    <form method="post" action="${p.action}" id="${p.id}" data-webauthn="${p.mode}"
      ${p.options ? html`data-webauthn-options="${dataId}"` : html`data-webauthn-options-url="${p.optionsUrl ?? ''}"`}>
      ${p.hidden}
      <input type="hidden" name="credential" value="">
      ${p.optionsUrl ? html`<input type="hidden" name="challengeId" value="">` : ''}
      <button type="submit" class="secondary">${p.label}</button>
      <p class="hint" role="status" data-webauthn-status></p>
    </form>`;
}
