// The router's app-password pages, on the HTML router (its form parsing and CSRF check): create
// one (a fresh second factor first, through the same step-up as other security-info changes),
// shown once, from a one-time form (a resubmitted form creates nothing); delete one; and the
// settings section, for users who may hold them.
import type { Request, Response, Router } from 'express';
import type { Mfa } from '../engine/create-mfa.ts';
import type { AuthStamp } from '../engine/stamp.ts';
import { MfaError } from '../errors.ts';
import {
  appPasswordCreatedPage,
  appPasswordsSection,
  requireAppPasswordsOn,
} from '../web/app-password-pages.ts';
import { appPasswordForm, idParam, parseBody } from '../web/bodies.ts';
import type { SafeHtml } from '../web/html.ts';
import { messagePage, type PageContext } from '../web/pages.ts';
import { issueAppPasswordFormId, takeAppPasswordFormId } from './app-password-form-id.ts';
import type { MfaExpress } from './create-mfa-express.ts';
import type { SessionFlow, StampAccess } from './session-flow.ts';

/** What the HTML router lends these routes: its page context and its answer to a refused session. */
export interface HtmlRouteKit {
  page: (req: Request) => PageContext;
  accessOr: (req: Request, res: Response, access: StampAccess) => AuthStamp | null;
}

/** The engine's refusals of a new app password that the user can act on (a bad name, too many, not allowed). */
const USER_REFUSALS = new Set(['app_password_invalid', 'app_password_limit', 'app_passwords_unavailable']);

export function addAppPasswordHtmlRoutes(
  html: Router,
  mfa: Mfa,
  web: MfaExpress,
  flow: SessionFlow,
  kit: HtmlRouteKit,
) {
  const { basePath } = web.options;
  const settings = `${basePath}/settings`;
  const service = mfa.appPasswords;
  const on = () => requireAppPasswordsOn(service);

  // Where the step-up before creating one comes back to: the form, in the settings page.
  html.get('/app-passwords', (_req, res) => {
    on();
    res.redirect(303, `${settings}#app-passwords`);
  });
  html.post('/app-passwords', async (req, res) => {
    on();
    const stamp = kit.accessOr(req, res, await flow.mayChangeSecurityInfo(req));
    if (!stamp) return;
    // The form's one-time id, spent before anything is created: the same form posted again (the
    // browser's "resubmit" on reloading the created page) or a forged one creates nothing. A user
    // who may hold none was shown no form: the engine's refusal below tells them why.
    const posted = (req.body as { formId?: unknown } | undefined)?.formId;
    if (!(await takeAppPasswordFormId(req, posted)) && (await service.allowed(stamp.userId)))
      return res.redirect(303, `${settings}?notice=app_password_form_used#app-passwords`);
    const { name, apps } = parseBody(appPasswordForm, req.body);
    try {
      const created = await service.create(stamp, { name, apps }, web.ctxOf(req));
      res.send(appPasswordCreatedPage(kit.page(req), { created, apps: service.apps }));
    } catch (err) {
      if (!(err instanceof MfaError)) throw err;
      if (err.code === 'reverify_required') return kit.accessOr(req, res, { ok: false, reason: err.code });
      if (!USER_REFUSALS.has(err.code)) throw err;
      res.status(err.status).send(
        messagePage(kit.page(req), 'The app password was not created', err.message, {
          href: `${settings}#app-passwords`,
          text: 'Back to security info',
        }),
      );
    }
  });
  html.post('/app-passwords/:id/delete', async (req, res) => {
    on();
    const stamp = kit.accessOr(req, res, await flow.signedIn(req));
    if (!stamp) return;
    const id = parseBody(idParam, req.params.id);
    if (!(await service.revoke(stamp.userId, id, web.ctxOf(req))))
      throw new MfaError('not_found', 'No such app password.', 404);
    res.redirect(303, `${settings}?notice=app_password_deleted#app-passwords`);
  });

  /** The settings page's section for the user, or nothing when they may hold none. */
  return async function appPasswordSettings(req: Request, userId: string): Promise<SafeHtml | undefined> {
    if (!(await service.allowed(userId))) return undefined;
    return appPasswordsSection(kit.page(req), {
      appPasswords: await service.list(userId),
      apps: service.apps,
      formId: issueAppPasswordFormId(req),
    });
  };
}
