/** Shared fixtures of the oidc MFA-step tests: the request context and the current time in seconds. */

export const ctx = { ip: '127.0.0.1' };

export const nowSeconds = () => Math.floor(Date.now() / 1000);
