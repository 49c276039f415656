// The app-password pieces of the security-info pages: the settings section (the user's app
// passwords with a Delete button each, and the form that creates one) and the page that shows
// a new password, the only time it is ever shown.
import type {
  AppPasswordApp,
  AppPasswordSummary,
  AppPasswordsService,
  CreatedAppPassword,
} from '../engine/app-passwords.ts';
import { MfaError } from '../errors.ts';
import { html } from './html.ts';
import { csrf, layout, type PageContext, when } from './pages.ts';

/** An application's name as users chose it; an id no longer configured, as itself. */
const appNames = (ids: readonly string[], apps: readonly AppPasswordApp[]) =>
  ids.map((id) => apps.find((a) => a.id === id)?.name ?? id).join(', ');

const expiry = (p: AppPasswordSummary) =>
  p.expired
    ? html`<strong class="error-text">expired ${when(p.expiresAt)}</strong>`
    : html`${when(p.expiresAt)}`;

/** The settings section: the list and the create form (with its one-time `formId`). */
export function appPasswordsSection(
  ctx: PageContext,
  p: { appPasswords: readonly AppPasswordSummary[]; apps: readonly AppPasswordApp[]; formId: string },
) {
  const base = `${ctx.basePath}/app-passwords`;
  return html`<h2 id="app-passwords">App passwords</h2>
    <p>For apps that cannot ask for a second sign-in step (older mail, calendar or VPN clients): a generated password you type in the app instead of your password.</p>
    ${
      p.appPasswords.length === 0
        ? html`<p>You have no app passwords.</p>`
        : html`<table><thead><tr><th>Name</th><th>Applications</th><th>Created</th><th>Last used</th><th>Expires</th><th></th></tr></thead><tbody>
      ${p.appPasswords.map(
        (
          a,
        ) => html`<tr><td>${a.name}</td><td>${appNames(a.apps, p.apps)}</td><td>${when(a.createdAt)}</td><td>${when(a.lastUsedAt)}</td><td>${expiry(a)}</td>
        <td><form method="post" class="inline" action="${base}/${a.id}/delete">${csrf(ctx)}<button type="submit" class="danger" aria-label="Delete ${a.name}">Delete</button></form></td></tr>`,
      )}</tbody></table>`
    }
    <form method="post" action="${base}">
      ${csrf(ctx)}
      <input type="hidden" name="formId" value="${p.formId}">
      <label for="app-password-name">Name of the new app password</label>
      <input type="text" id="app-password-name" name="name" required maxlength="64" placeholder="Mail on my phone">
      <fieldset><legend>Applications it may sign in to</legend>
      ${p.apps.map(
        (a) =>
          html`<label class="inline"><input type="checkbox" name="apps" value="${a.id}"${p.apps.length === 1 ? html` checked` : ''}> ${a.name}</label>`,
      )}
      </fieldset>
      <button type="submit">Create app password</button>
    </form>`;
}

/** The new password, shown once. */
export function appPasswordCreatedPage(
  ctx: PageContext,
  p: { created: CreatedAppPassword; apps: readonly AppPasswordApp[] },
): string {
  const { created } = p;
  return layout(
    ctx,
    'Your new app password',
    html`<h1>Your new app password</h1>
    <p>${created.name} · for ${appNames(created.apps, p.apps)}${created.expiresAt === null ? '' : html` · expires ${when(created.expiresAt)}`}</p>
    <p class="app-password"><code class="app-password" aria-label="App password">${created.password}</code></p>
    <p class="notice">Type it in your app instead of your password; it will not be shown again.</p>
    <p><a href="${ctx.basePath}/settings#app-passwords">Back to security info</a></p>`,
  );
}

/** Every app-password route of the router is a 404 while app passwords are off (no applications). */
export function requireAppPasswordsOn(service: AppPasswordsService): void {
  if (service.apps.length === 0) throw new MfaError('not_found', 'App passwords are not enabled.', 404);
}
