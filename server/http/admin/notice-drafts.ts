import { Router, type Request, type Response } from 'express';
import type { Context } from '../../context.js';
import { authorName } from '../../domain/access/actors.js';
import { getBranding } from '../../domain/page/branding.js';
import { pageZone } from '../../domain/page/time-zone.js';
import { DATA_PROTECTION_FIELDS } from '../../domain/subscribers/communications.js';
import { countNoticeChannels } from '../../domain/subscribers/endpoint-deliveries.js';
import {
  deleteNoticeDraft,
  draftAsNotice,
  draftFields,
  draftInput,
  draftState,
  getNoticeDraft,
  publishNoticeDraft,
  publishProblems,
  updateNoticeDraft,
  type NoticeDraft,
} from '../../domain/subscribers/notice-drafts.js';
import { countNoticeReaders } from '../../domain/subscribers/outbox.js';
import { Invalid } from '../../errors.js';
import { previewNoticeMessage } from '../../outbox/mail/compose.js';
import { zoneLabel } from '../../render/format.js';
import { noticePageData } from '../../snapshot/notice-page.js';
import { actorOf } from '../locals.js';
import { form } from '../middleware/form.js';
import { field, formBody, renderPage } from '../respond.js';
import { parseInput } from '../../lib/validate.js';
import { clockPanel, communicationFields, formAction, formChoices } from './communication-form.js';

/** What stands in a preview's links for each subscriber's own token. */
const PREVIEW_TOKEN = 'preview';
const LABELS: Record<string, string> = {
  category: 'Category',
  title: 'Title',
  body: 'Text',
  incident_id: 'Related incident',
  ...Object.fromEntries(DATA_PROTECTION_FIELDS.map((f) => [f.name, f.label])),
};

const idOf = (req: Request) => String(req.params.id);
/** The revision a form was opened at; a form without one (or with nonsense) matches none. */
const revisionOf = (req: Request) => Number.parseInt(field(formBody(req), 'revision') ?? '', 10) || 0;

/**
 * A preview document, shown in a frame of the preview page: framed by our own pages only, under `csp`.
 * Links open outside the frame, as they would from the page or from a mail client.
 */
function sendFramed(res: Response, html: string, csp: string): void {
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('X-Frame-Options', 'SAMEORIGIN');
  res.setHeader('X-Robots-Tag', 'noindex');
  res.type('html').send(html.replace(/<head>/i, '<head><base target="_blank">'));
}

/**
 * A notice's draft (admins only): edited until it is right, previewed as its public page and its email
 * will show it (both rendered by the very code that will render them once it is published), then
 * published from the preview, exactly the revision previewed. Drafts are never public.
 */
export function noticeDraftRoutes(ctx: Context): Router {
  const router = Router();
  const base = (id: string) => `/admin/communications/drafts/${id}`;

  const editData = (id: string) => (values: Record<string, string | string[]>) => {
    const draft = getNoticeDraft(ctx.db, id);
    // Opened at an older revision (someone saved since): the form says so, and saving it again replaces theirs.
    const typed = Number.parseInt(field(values, 'revision') ?? '', 10);
    return {
      title: draft.replaces_id ? 'Draft correction' : 'Draft notice',
      action: base(id),
      ...formChoices(ctx),
      draft,
      draftRevision: draft.revision,
      changedSince: typed && typed !== draft.revision ? draft.updated_by : undefined,
      clock: clockPanel(ctx, field(values, 'category') ?? draft.category, field(values, 'incident_id') ?? draft.incident_id),
    };
  };
  const draftValues = (draft: NoticeDraft) => ({ ...draftFields(draft), incident_id: draft.incident_id ?? '', revision: String(draft.revision) });

  // A draft's pages after it was published (a bookmark, a second tab): the notice it became.
  const published = (req: Request, res: Response) => {
    if (draftState(ctx.db, idOf(req)) !== 'published') return false;
    res.redirect(303, `/admin/communications/${idOf(req)}`);
    return true;
  };

  router.get(base(':id'), (req, res) => {
    if (published(req, res)) return;
    const draft = getNoticeDraft(ctx.db, idOf(req));
    renderPage(ctx, res, 'admin/communication-form', { ...editData(draft.id)({}), values: draftValues(draft), saved: req.query.saved === '1' });
  });
  router.post(
    base(':id'),
    (req, res, next) => form('admin/communication-form', editData(idOf(req)))(req, res, next),
    (req, res) => {
      const id = idOf(req);
      const body = formBody(req);
      updateNoticeDraft(ctx, actorOf(res), id, parseInput(draftInput, communicationFields(body)), revisionOf(req));
      res.redirect(303, formAction(body) === 'preview' ? `${base(id)}/preview` : `${base(id)}?saved=1`);
    },
  );

  const previewData = (id: string) => (): Record<string, unknown> => {
    const draft = getNoticeDraft(ctx.db, id);
    const { notice } = draftAsNotice(ctx.db, draft, '', ctx.clock.now());
    const mail = previewNoticeMessage(ctx, notice, PREVIEW_TOKEN);
    const problems = Object.entries(publishProblems(ctx.db, draft)).map(([name, message]) => ({ label: LABELS[name], message }));
    return {
      title: `Preview: ${draft.title || 'untitled notice'}`,
      nav: 'communications',
      draft,
      notice,
      noticeUrl: `${ctx.config.publicUrl}/notices/${draft.id}`,
      // From and Reply-To as compose.ts sets them: the configured addresses.
      mail: { from: ctx.config.mail.from, replyTo: ctx.config.mail.replyTo ?? '', subject: mail.subject, text: mail.text },
      readers: countNoticeReaders(ctx.db),
      channels: countNoticeChannels(ctx.db),
      problems,
      clock: clockPanel(ctx, draft.category, draft.incident_id),
    };
  };
  // The preview; also what its form's address answers to a GET (a reload after a refusal, a bookmark).
  const showPreview = (req: Request, res: Response) => {
    if (published(req, res)) return;
    renderPage(ctx, res, 'admin/communication-preview', previewData(idOf(req))());
  };
  router.get(`${base(':id')}/preview`, showPreview);
  router.get(`${base(':id')}/publish`, showPreview);

  // The notice's page as the snapshot will render it (snapshot/notice-page.ts), under the public pages' own policy.
  router.get(`${base(':id')}/preview/page`, (req, res) => {
    const now = ctx.clock.now();
    const draft = getNoticeDraft(ctx.db, idOf(req));
    const { notice, versions } = draftAsNotice(ctx.db, draft, authorName(actorOf(res)), now);
    const brand = getBranding(ctx.db, ctx.config);
    const timeZone = pageZone(ctx);
    const common = { pageName: brand.pageName, brand, timeZone, zoneLabel: zoneLabel(timeZone, now) };
    const html = ctx.views.render('public/notice', { ...common, ...noticePageData(notice, versions) }, 'public');
    const csp = String(res.getHeader('Content-Security-Policy') ?? '').replace("frame-ancestors 'none'", "frame-ancestors 'self'");
    sendFramed(res, html, csp);
  });

  // The mail's HTML part as outbox/mail/compose.ts makes it: its inline styles allowed, nothing else.
  router.get(`${base(':id')}/preview/mail`, (req, res) => {
    const draft = getNoticeDraft(ctx.db, idOf(req));
    const { notice } = draftAsNotice(ctx.db, draft, authorName(actorOf(res)), ctx.clock.now());
    const html = previewNoticeMessage(ctx, notice, PREVIEW_TOKEN).html;
    const images = ["'self'", 'data:', ...ctx.config.markdownImageHosts].join(' ');
    sendFramed(
      res,
      typeof html === 'string' ? html : '',
      `default-src 'none'; style-src 'unsafe-inline'; img-src ${images}; base-uri 'self'; form-action 'none'; frame-ancestors 'self'`,
    );
  });

  router.post(
    `${base(':id')}/publish`,
    (req, res, next) => form('admin/communication-preview', previewData(idOf(req)))(req, res, next),
    (req, res) => {
      const id = idOf(req);
      try {
        const notice = publishNoticeDraft(ctx, actorOf(res), id, revisionOf(req));
        res.redirect(303, `/admin/communications/${notice.id}`);
      } catch (err) {
        // Incomplete (the preview offers no button then, but a second tab may): the draft's form with its messages.
        if (!(err instanceof Invalid) || err.fields.form) throw err;
        const draft = getNoticeDraft(ctx.db, id);
        renderPage(
          ctx,
          res,
          'admin/communication-form',
          { ...editData(id)({}), values: draftValues(draft), errors: err.fields, formError: 'Complete the fields marked below before publishing.' },
          { status: err.status },
        );
      }
    },
  );

  router.get(`${base(':id')}/delete`, (req, res) => {
    const draft = getNoticeDraft(ctx.db, idOf(req));
    renderPage(ctx, res, 'admin/confirm-delete', {
      title: 'Delete this draft',
      nav: 'communications',
      what: 'this draft',
      quote: draft.title || 'Untitled notice',
      note: 'Nothing of it was ever public.',
      action: `${base(draft.id)}/delete`,
      back: base(draft.id),
    });
  });
  router.post(`${base(':id')}/delete`, (req, res) => {
    deleteNoticeDraft(ctx, actorOf(res), idOf(req));
    res.redirect(303, '/admin/communications');
  });
  return router;
}
