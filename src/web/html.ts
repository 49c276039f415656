// Tiny HTML helpers: every interpolated value goes through `escapeHtml`, unless it is a
// `SafeHtml` built by these helpers. No template engine, no inline script. Also the one
// stylesheet of mfakit's pages (`STYLE_CSS`).
/** Markup that is already safe: built by `html`, or `trusted`. */
export class SafeHtml {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString() {
    return this.value;
  }
}

export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Tagged template: escapes interpolations, keeps SafeHtml (and arrays of it) as is. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

function render(v: unknown): string {
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(v);
}

/** Markup we produced ourselves (e.g. the QR code SVG from the qrcode package). */
export const trusted = (markup: string) => new SafeHtml(markup);

export const STYLE_CSS = `
:root { color-scheme: light dark; --accent: #2457c5; --muted: #666; --danger: #b3261e; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: Canvas; color: CanvasText; }
main { max-width: 34rem; margin: 3rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; }
p.hint, .muted { color: var(--muted); }
label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
label.inline { display: flex; gap: .5rem; align-items: center; font-weight: 400; }
input[type=text], input[type=password] { width: 100%; padding: .6rem; font-size: 1.1rem; border: 1px solid #999; border-radius: 6px; }
input.code { letter-spacing: .2em; font-family: ui-monospace, monospace; }
button { margin-top: 1rem; padding: .6rem 1.2rem; font-size: 1rem; border: 0; border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; }
button.link { background: none; color: var(--accent); padding: 0; margin: 0; text-decoration: underline; }
button.danger { background: var(--danger); }
.error { border-left: 4px solid var(--danger); padding: .5rem .75rem; background: color-mix(in srgb, var(--danger) 10%, Canvas); }
.notice { border-left: 4px solid var(--accent); padding: .5rem .75rem; }
.qr svg { width: 220px; height: 220px; background: #fff; }
.approval { border: 1px solid var(--accent); border-radius: 6px; padding: .75rem 1rem; margin: 1rem 0; }
.match-number { font-size: 3rem; font-weight: 700; letter-spacing: .1em; margin: .25rem 0 .75rem; }
code.secret { font-size: 1.05rem; word-break: break-all; }
code.app-password { display: block; font-size: 2rem; letter-spacing: .1em; font-family: ui-monospace, monospace; word-break: break-all; }
.error-text { color: var(--danger); }
fieldset { border: 1px solid #ccc; border-radius: 6px; margin: 1rem 0 0; }
ul.codes { columns: 2; font-family: ui-monospace, monospace; font-size: 1.1rem; }
table { width: 100%; border-collapse: collapse; }
td, th { text-align: left; padding: .4rem .3rem; border-bottom: 1px solid #ccc; vertical-align: top; }
form.inline { display: inline; }
`;
