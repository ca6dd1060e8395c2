import type { CoreContext as Context } from '../../context.js';
import { getBranding } from '../../domain/page/branding.js';
import { pageZone } from '../../domain/page/time-zone.js';
import { findEndpoint } from '../../domain/subscribers/endpoints.js';
import type { Delivery } from '../../domain/subscribers/outbox.js';
import type { Composed } from './compose.js';

/** To a webhook's `email`: the endpoint failed for 24 hours and was disabled. */
export function composeEndpointDisabled(ctx: Context, d: Delivery): Composed {
  const endpoint = d.endpoint_id ? findEndpoint(ctx.db, d.endpoint_id) : undefined;
  if (!endpoint || endpoint.state !== 'disabled') return { skip: 'The webhook was removed or enabled again before the message was sent' };
  const page = getBranding(ctx.db, ctx.config).pageName;
  const data = {
    endpoint,
    pageName: page,
    timeZone: pageZone(ctx),
    subject: `Your webhook for ${page} was disabled`,
  };
  return {
    message: {
      from: ctx.config.mail.from,
      replyTo: ctx.config.mail.replyTo,
      to: d.recipient,
      subject: data.subject,
      messageId: d.message_id,
      text: ctx.views.renderText('emails/endpoint-disabled.text', data),
      html: ctx.views.render('emails/endpoint-disabled.html', data, null),
    },
  };
}
