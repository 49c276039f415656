// mfakit's WebAuthn client, served by the router next to @simplewebauthn/browser (loaded first,
// as window.SimpleWebAuthnBrowser). No inline script: forms say what they do with data attributes.
//   <form data-webauthn="register|authenticate|autofill" data-webauthn-options="<id of a JSON script>"
//         data-webauthn-options-url="<JSON endpoint: { challengeId, options }>">
//     <input type="hidden" name="credential"> [<input type="hidden" name="challengeId">]
// The ceremony's answer is written into `credential` and the form is submitted as usual.

/** The client's source, served as /assets/webauthn-client.js. */
export const WEBAUTHN_CLIENT_JS = `(() => {
  const lib = window.SimpleWebAuthnBrowser;
  if (!lib) return;
  const say = (form, text) => {
    const status = form.querySelector('[data-webauthn-status]');
    if (status) status.textContent = text;
  };
  const optionsOf = async (form) => {
    const id = form.dataset.webauthnOptions;
    const embedded = id ? document.getElementById(id) : null;
    if (embedded) return JSON.parse(embedded.textContent);
    const response = await fetch(form.dataset.webauthnOptionsUrl, {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    });
    if (!response.ok) throw new Error('the sign-in options could not be loaded');
    const body = await response.json();
    const field = form.querySelector('input[name="challengeId"]');
    if (field) field.value = body.challengeId;
    return body.options;
  };
  const run = async (form, mode, autofill) => {
    try {
      const optionsJSON = await optionsOf(form);
      const answer =
        mode === 'register'
          ? await lib.startRegistration({ optionsJSON })
          : await lib.startAuthentication({ optionsJSON, useBrowserAutofill: autofill });
      form.querySelector('input[name="credential"]').value = JSON.stringify(answer);
      form.submit();
    } catch (error) {
      if (autofill && error && error.name === 'AbortError') return;
      say(form, \`Your passkey or security key did not answer (\${(error && error.message) || error}). Try again.\`);
    }
  };
  for (const form of document.querySelectorAll('form[data-webauthn]')) {
    const mode = form.dataset.webauthn;
    form.addEventListener('submit', (event) => {
      if (form.querySelector('input[name="credential"]').value) return;
      event.preventDefault();
      run(form, mode === 'register' ? 'register' : 'authenticate', false);
    });
    if (mode === 'autofill' && lib.browserSupportsWebAuthnAutofill) {
      lib.browserSupportsWebAuthnAutofill().then((supported) => {
        if (supported) run(form, 'authenticate', true);
      });
    }
  }
})();
`;
