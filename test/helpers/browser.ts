/**
 * A small browser for driving OIDC flows over real HTTP across several servers: a cookie jar
 * that honours each cookie's host and path, and redirects followed by hand so a test can stop
 * at (or look at) any hop. Enough for oidc-provider's path-scoped interaction cookies.
 */
interface StoredCookie {
  host: string;
  name: string;
  value: string;
  path: string;
}

export interface Page {
  status: number;
  url: string;
  text: string;
  headers: Headers;
  /** Every URL visited, the first request included. */
  trail: string[];
}

export class Browser {
  cookies: StoredCookie[] = [];
  userAgent = 'mfakit-test-browser/1.0';
  extraHeaders: Record<string, string> = {};

  private cookieHeader(url: URL): string {
    return this.cookies
      .filter((c) => c.host === url.host && url.pathname.startsWith(c.path))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private store(url: URL, headers: Headers) {
    for (const line of headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = false;
      for (const a of attrs) {
        const [k = '', v = ''] = a.split('=');
        if (k.toLowerCase() === 'path') path = v;
        if (k.toLowerCase() === 'expires' && new Date(v).getTime() < Date.now()) expired = true;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      }
      this.cookies = this.cookies.filter((c) => !(c.host === url.host && c.name === name && c.path === path));
      if (!expired && value !== '') this.cookies.push({ host: url.host, name, value, path });
    }
  }

  cookie(host: string, name: string): StoredCookie | undefined {
    return this.cookies.find((c) => c.host === host && c.name === name);
  }

  /** One request, no redirect followed. */
  async fetch(
    url: string,
    init: { method?: string; form?: Record<string, string>; raw?: { type: string; body: string } } = {},
  ): Promise<Response> {
    const target = new URL(url);
    const headers: Record<string, string> = {
      'user-agent': this.userAgent,
      accept: 'text/html',
      ...this.extraHeaders,
    };
    const cookie = this.cookieHeader(target);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    } else if (init.raw) {
      headers['content-type'] = init.raw.type;
      body = init.raw.body;
    }
    const res = await fetch(target, {
      method: init.method ?? (init.form || init.raw ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    this.store(target, res.headers);
    return res;
  }

  /**
   * Requests `url` and follows redirects until a page answers, or until the next hop would
   * leave for a URL `stopAt` accepts (returned as a 302/303 page whose `url` is that hop).
   */
  async go(
    url: string,
    init: { form?: Record<string, string>; stopAt?: (next: URL) => boolean } = {},
  ): Promise<Page> {
    const trail: string[] = [url];
    let res = await this.fetch(url, init.form ? { form: init.form } : {});
    let current = url;
    for (let hops = 0; hops < 20; hops++) {
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) break;
      const next = new URL(location, current);
      if (init.stopAt?.(next)) {
        await res.text();
        return {
          status: res.status,
          url: next.href,
          text: '',
          headers: res.headers,
          trail: [...trail, next.href],
        };
      }
      await res.text();
      current = next.href;
      trail.push(current);
      res = await this.fetch(current);
    }
    return { status: res.status, url: current, text: await res.text(), headers: res.headers, trail };
  }
}

/** The value of a hidden or text input in a page. */
export function inputValue(html: string, name: string): string {
  const m =
    new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html) ??
    new RegExp(`value="([^"]*)"[^>]*name="${name}"`).exec(html);
  if (!m?.[1]) throw new Error(`no input ${name} in page:\n${html.slice(0, 2000)}`);
  return m[1]
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
}

/** The action of the first form whose action contains `contains`. */
export function formAction(html: string, contains: string): string {
  const all = [...html.matchAll(/<form[^>]*action="([^"]*)"/g)].map((m) =>
    (m[1] ?? '').replace(/&amp;/g, '&'),
  );
  const found = all.find((a) => a.includes(contains));
  if (!found) throw new Error(`no form with ${contains} in page:\n${html.slice(0, 2000)}`);
  return found;
}
