// The security-info settings page of the router: the user's sign-in methods (the default one
// marked with a "No default" button, a "Make default" on the others, a Remove button for each), the recovery codes left, the remembered
// devices and, when the user may have them, the app passwords. Every form carries the CSRF token.
import type { MethodSummary } from '../engine/decision.ts';
import type { RememberedDeviceRecord } from '../store/ports.ts';
import { html, type SafeHtml } from './html.ts';
import { csrf, errorBox, layout, type PageContext, when } from './pages.ts';

/**
 * A method's row: its name (marked "Default" when the user chose it), when it was added and last
 * used, and its buttons: "Make default" ("No default" on the default itself) and Remove.
 */
const methodRow = (ctx: PageContext, m: MethodSummary) =>
  html`<tr><td>${m.label}${m.isDefault ? html` <strong class="default">Default</strong>` : ''}${m.description === m.label ? '' : html`<br><span class="muted">${m.description}</span>`}</td>
      <td>${when(m.createdAt)}</td><td>${when(m.lastUsedAt)}</td>
      <td>${
        m.isDefault
          ? html`<form method="post" class="inline" action="${ctx.basePath}/default-method/clear">${csrf(ctx)}<button type="submit" class="secondary" aria-label="Have no default sign-in method">No default</button></form>`
          : html`<form method="post" class="inline" action="${ctx.basePath}/methods/${m.id}/default">${csrf(ctx)}<button type="submit" class="secondary" aria-label="Make ${m.label} your default sign-in method">Make default</button></form>`
      }<form method="post" class="inline" action="${ctx.basePath}/methods/${m.id}/remove">${csrf(ctx)}<button type="submit" class="danger" aria-label="Remove ${m.label}">Remove</button></form></td></tr>`;

export function settingsPage(
  ctx: PageContext,
  p: {
    userLabel: string;
    methods: MethodSummary[];
    /** Methods the user may add here. */
    enrollable: readonly { kind: string; title: string }[];
    recoveryRemaining: number;
    devices: RememberedDeviceRecord[];
    now: number;
    notice?: string;
    error?: string;
    /** The app passwords section (app-password-pages.ts), when the user may have them. */
    appPasswords?: SafeHtml;
  },
): string {
  const activeDevices = p.devices.filter((d) => d.revokedAt === null && d.expiresAt > p.now);
  return layout(
    ctx,
    'Security info',
    html`<h1>Security info</h1>
    <p class="muted">Signed in as ${p.userLabel}</p>
    ${p.notice ? html`<p class="notice" role="status">${p.notice}</p>` : ''}
    ${errorBox(p.error)}
    <h2>Sign-in methods</h2>
    <table><thead><tr><th>Method</th><th>Added</th><th>Last used</th><th></th></tr></thead><tbody>
    ${p.methods.map((m) => methodRow(ctx, m))}
    </tbody></table>
    ${p.enrollable.map((m) => html`<p><a href="${ctx.basePath}/enroll?method=${m.kind}">Add a method: ${m.title}</a></p>`)}
    <h2>Recovery codes</h2>
    <p>${p.recoveryRemaining} unused recovery codes left.</p>
    <form method="post" action="${ctx.basePath}/recovery-codes">${csrf(ctx)}<button type="submit">Generate new codes</button></form>
    <h2>Remembered devices</h2>
    ${
      activeDevices.length === 0
        ? html`<p>No device is remembered.</p>`
        : html`<table><thead><tr><th>Device</th><th>Remembered</th><th>Last used</th><th>Expires</th><th></th></tr></thead><tbody>
      ${activeDevices.map(
        (
          d,
        ) => html`<tr><td>${d.userAgent || 'Unknown browser'}</td><td>${when(d.createdAt)}</td><td>${when(d.lastUsedAt)}</td><td>${when(d.expiresAt)}</td>
        <td><form method="post" class="inline" action="${ctx.basePath}/devices/${d.id}/revoke">${csrf(ctx)}<button type="submit" class="danger">Forget</button></form></td></tr>`,
      )}</tbody></table>
      <form method="post" action="${ctx.basePath}/devices/revoke-all">${csrf(ctx)}<button type="submit" class="danger">Ask for verification again on all remembered devices</button></form>`
    }
    ${p.appPasswords ?? ''}`,
  );
}
