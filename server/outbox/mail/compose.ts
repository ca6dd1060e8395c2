import type Mail from 'nodemailer/lib/mailer/index.js';
import type { CoreContext as Context } from '../../context.js';
import { CATEGORY_LABELS, getCommunication, noticeSections, type Communication } from '../../domain/subscribers/communications.js';
import { deadlineOf } from '../../domain/incidents/data-protection.js';
import { findIncident } from '../../domain/incidents/queries.js';
import type { Delivery } from '../../domain/subscribers/outbox.js';
import { confirmToken, manageToken } from '../../domain/subscribers/tokens.js';
import { findSubscriber, followedIncidents, mailHost, type Subscriber } from '../../domain/subscribers/subscribers.js';
import { INCIDENT_STATUS_LABELS } from '../../domain/page/status.js';
import { NotFound } from '../../errors.js';
import { getBranding } from '../../domain/page/branding.js';
import { pageZone } from '../../domain/page/time-zone.js';
import { formatDateTime, formatDuration } from '../../render/format.js';
import { composeEndpointDisabled } from './endpoint-notice.js';

export type Composed = { message: Mail.Options } | { skip: string };

interface Content {
  template: string;
  subject: string;
  data: Record<string, unknown>;
  thread?: string;
}

/** What a delivery row says, as a message: text and HTML from views/emails, threading and RFC 8058 headers. */
export function compose(ctx: Context, delivery: Delivery): Composed {
  if (delivery.kind === 'admin_alert') return composeAdminAlert(ctx, delivery);
  if (delivery.kind === 'endpoint_disabled') return composeEndpointDisabled(ctx, delivery);
  const sub = delivery.subscriber_id ? findSubscriber(ctx.db, delivery.subscriber_id) : undefined;
  if (!sub) return { skip: 'The subscriber was removed before the message was sent' };
  // The page's name (Settings → Branding), read once per message.
  const page = getBranding(ctx.db, ctx.config).pageName;
  const content = contentFor(ctx, delivery, sub, page);
  if ('skip' in content) return content;
  return { message: messageOf(ctx, content, page, { to: delivery.recipient, messageId: delivery.message_id, token: manageToken(ctx.secret, sub) }) };
}

/**
 * A notice's message as a subscriber will get it, for the admin's preview of a draft: the same content
 * and assembly as compose(), with `token` standing in for each subscriber's own in the links.
 */
export function previewNoticeMessage(ctx: Context, notice: Communication, token: string): Mail.Options {
  const page = getBranding(ctx.db, ctx.config).pageName;
  return messageOf(ctx, noticeContent(ctx, notice, page), page, { token });
}

/** The message: text and HTML from views/emails, threading and RFC 8058 headers. */
function messageOf(ctx: Context, content: Content, page: string, recipient: { to?: string; messageId?: string; token: string }): Mail.Options {
  const base = ctx.config.publicUrl;
  const host = mailHost(base);
  const { token } = recipient;
  const unsubscribeUrl = `${base}/unsubscribe/${token}`;
  const data = {
    ...content.data,
    pageName: page,
    timeZone: pageZone(ctx),
    pageUrl: `${base}/`,
    manageUrl: `${base}/subscriptions/manage/${token}`,
    unsubscribeUrl,
    subject: content.subject,
  };
  return {
    from: ctx.config.mail.from,
    replyTo: ctx.config.mail.replyTo,
    to: recipient.to,
    subject: content.subject,
    messageId: recipient.messageId,
    ...(content.thread ? { inReplyTo: content.thread, references: [content.thread] } : {}),
    text: ctx.views.renderText(`emails/${content.template}.text`, data),
    html: ctx.views.render(`emails/${content.template}.html`, data, 'email'),
    list: {
      id: { url: `status.${host}`, comment: page },
      unsubscribe: { url: unsubscribeUrl, comment: 'Unsubscribe' },
    },
    headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  };
}

function contentFor(ctx: Context, d: Delivery, sub: Subscriber, page: string): Content | { skip: string } {
  const host = mailHost(ctx.config.publicUrl);
  switch (d.kind) {
    case 'confirmation':
      if (sub.state !== 'pending' || sub.confirm_nonce !== d.subject_id) return { skip: 'The confirmation link was superseded or used' };
      return {
        template: 'confirm',
        subject: `Confirm your subscription to ${page}`,
        data: {
          confirmUrl: `${ctx.config.publicUrl}/subscriptions/confirm/${confirmToken(ctx.secret, sub.id, d.subject_id)}`,
          validHours: 48,
          following:
            sub.scope === 'incidents'
              ? followedIncidents(ctx.db, sub.id)
                  .map((n) => `"${n}"`)
                  .join(', ')
              : undefined,
        },
      };
    case 'already_subscribed':
      if (sub.state !== 'confirmed') return { skip: 'No longer subscribed' };
      return { template: 'already-subscribed', subject: `You are already subscribed to ${page}`, data: {} };
    case 'maintenance_reminder': {
      if (sub.state !== 'confirmed') return { skip: 'Unsubscribed before the message was sent' };
      const m = findIncident(ctx.db, d.subject_id);
      if (!m || m.status !== 'scheduled' || m.cancelled_at || ctx.clock.now().getTime() >= Date.parse(m.scheduled_for ?? '')) {
        return { skip: 'The maintenance was deleted, started, cancelled or had begun before the reminder went out' };
      }
      return {
        template: 'maintenance-reminder',
        subject: threadSubject(m, page),
        thread: `<incident.${m.id}@${host}>`,
        data: {
          incident: m,
          preheader: `Reminder: scheduled maintenance from ${formatDateTime(m.scheduled_for ?? '', pageZone(ctx))}`,
          incidentUrl: `${ctx.config.publicUrl}/incidents/${m.id}`,
          icsUrl: `${ctx.config.publicUrl}/incidents/${m.id}.ics`,
        },
      };
    }
    case 'admin_alert':
    case 'endpoint_disabled':
      return { skip: 'Not a subscriber message' };
    case 'component_update':
    case 'endpoint_test':
      return { skip: 'Not an email message' };
    case 'incident_update': {
      if (sub.state !== 'confirmed') return { skip: 'Unsubscribed before the message was sent' };
      const incident = d.thread_id ? findIncident(ctx.db, d.thread_id) : undefined;
      const update = incident?.incident_updates.find((u) => u.id === d.subject_id);
      if (!incident || !update) return { skip: 'The incident or update was deleted before the message was sent' };
      const resolved = incident.kind === 'incident' && (update.status === 'resolved' || update.status === 'postmortem') && incident.resolved_at;
      const state = stateLabel(incident, update.status);
      const excerpt =
        ctx.views
          .markdownText(update.body)
          .split('\n')
          .find((line) => line.trim())
          ?.trim() ?? '';
      return {
        template: 'incident-update',
        subject: threadSubject(incident, page),
        thread: `<incident.${incident.id}@${host}>`,
        data: {
          incident,
          update,
          // The state opens the body (its first line, and the inbox's preview of the HTML part).
          statusLabel: state,
          preheader: excerpt ? `${state}: ${excerpt.length > 140 ? `${excerpt.slice(0, 139)}…` : excerpt}` : state,
          // The resolved mail says how long it lasted.
          resolvedAfter: resolved ? formatDuration(incident.started_at, incident.resolved_at ?? incident.started_at) : undefined,
          incidentUrl: `${ctx.config.publicUrl}/incidents/${incident.id}`,
          icsUrl: `${ctx.config.publicUrl}/incidents/${incident.id}.ics`,
          previous: incident.incident_updates.filter((u) => u.created_at < update.created_at).slice(0, 3),
        },
      };
    }
    case 'communication': {
      if (sub.state !== 'confirmed') return { skip: 'Unsubscribed before the message was sent' };
      let notice: Communication;
      try {
        notice = getCommunication(ctx.db, d.subject_id);
      } catch (err) {
        if (err instanceof NotFound) return { skip: 'The notice no longer exists' };
        throw err;
      }
      return noticeContent(ctx, notice, page);
    }
  }
}

/** A notice's message (one thread per notice: its versions reply to the first). */
function noticeContent(ctx: Context, notice: Communication, page: string): Content {
  return {
    template: 'communication',
    subject: `${notice.version > 1 ? '[Correction] ' : ''}${CATEGORY_LABELS[notice.category]}: ${notice.title} · ${page}`,
    thread: `<notice.${notice.series_id}@${mailHost(ctx.config.publicUrl)}>`,
    data: { notice, ...noticeSections(notice), noticeUrl: `${ctx.config.publicUrl}/notices/${notice.id}` },
  };
}

/** Messages to operators (the data-protection clock): no subscriber, no unsubscribe headers. */
function composeAdminAlert(ctx: Context, d: Delivery): Composed {
  const incident = findIncident(ctx.db, d.subject_id);
  if (!incident || !incident.personal_data_at_risk || incident.authority_notified_at || !incident.aware_at) {
    return { skip: 'The notification to the authority was recorded (or the flag removed) before the reminder went out' };
  }
  const deadline = deadlineOf(incident) ?? incident.aware_at;
  const hoursLeft = Math.max(0, Math.round((Date.parse(deadline) - ctx.clock.now().getTime()) / 3_600_000));
  const data = {
    incident,
    deadline,
    hoursLeft,
    pageName: getBranding(ctx.db, ctx.config).pageName,
    timeZone: pageZone(ctx),
    adminUrl: `${ctx.config.publicUrl}/admin/incidents/${incident.id}`,
    subject: `[Action needed] ${hoursLeft} h left to notify the supervisory authority: ${incident.name}`,
  };
  return {
    message: {
      from: ctx.config.mail.from,
      to: d.recipient,
      subject: data.subject,
      messageId: d.message_id,
      inReplyTo: `<dp.${incident.id}@${mailHost(ctx.config.publicUrl)}>`,
      references: [`<dp.${incident.id}@${mailHost(ctx.config.publicUrl)}>`],
      text: ctx.views.renderText('emails/admin-alert.text', data),
      html: ctx.views.render('emails/admin-alert.html', data, null),
    },
  };
}

/**
 * One subject for every message about an incident or a maintenance window, as Statuspage does: the
 * state changes in the body's first line, never in the subject, so that every client keeps one
 * conversation (Apple Mail, Thunderbird and Outlook also follow In-Reply-To/References; Gmail and
 * Outlook's conversations compare subjects too). Renaming the incident renames it from then on.
 */
function threadSubject(incident: { kind: string; name: string }, page: string): string {
  return incident.kind === 'maintenance' ? `[Maintenance] ${incident.name} · ${page}` : `${incident.name} · ${page}`;
}

/** "Identified", "Resolved"; a cancelled maintenance window's last update says "Cancelled", not "Completed". */
function stateLabel(incident: { kind: string; cancelled_at: string | null }, status: keyof typeof INCIDENT_STATUS_LABELS): string {
  if (incident.kind === 'maintenance' && incident.cancelled_at && status === 'completed') return 'Cancelled';
  return INCIDENT_STATUS_LABELS[status];
}
