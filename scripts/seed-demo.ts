// npm run seed:demo: fills an empty Pharos with demo components and incidents, to look at or to try the APIs.
import { createGroup } from '../server/domain/page/groups.js';
import { createComponent, listComponents } from '../server/domain/page/components.js';
import { publishCommunication } from '../server/domain/subscribers/communications.js';
import { scheduleMaintenance } from '../server/domain/incidents/maintenance.js';
import { createIncident, patchIncident } from '../server/domain/incidents/writes.js';
import { CliError, runCli } from './cli.js';

const demo = { type: 'system' } as const;

await runCli(
  (ctx) => {
    if (listComponents(ctx.db).length > 0) throw new CliError('This page already has components; the demo only fills an empty one.');
    const api = createComponent(ctx, demo, { name: 'API', description: 'REST and GraphQL endpoints' });
    const web = createComponent(ctx, demo, { name: 'Web app' });
    const signup = createComponent(ctx, demo, { name: 'Sign-up' });
    const messaging = createGroup(ctx, demo, { name: 'Messaging' });
    createComponent(ctx, demo, { name: 'Email delivery', group_id: messaging.id });
    createComponent(ctx, demo, { name: 'Webhooks', group_id: messaging.id });

    const hour = 3_600_000;
    const now = ctx.clock.now().getTime();
    const past = createIncident(ctx, demo, {
      name: 'Elevated error rates on the API',
      status: 'investigating',
      body: 'We are investigating elevated error rates on the API.',
      components: { [api.id]: 'partial_outage' },
      started_at: new Date(now - 26 * hour).toISOString(),
    });
    patchIncident(ctx, demo, past.id, { status: 'resolved', body: 'A faulty deploy was rolled back. Error rates are back to normal.' });

    const attack = createIncident(ctx, demo, {
      name: 'Large-scale malicious attacks on our services',
      status: 'identified',
      impact_override: 'critical',
      body:
        'Our services are the target of a **large-scale malicious attack**. Sign-ups are paused while we filter the traffic.\n\n' +
        'No customer data is known to be affected. We will post an update within the hour.',
      components: { [web.id]: 'degraded_performance', [signup.id]: 'major_outage' },
    });
    scheduleMaintenance(ctx, demo, {
      name: 'Database upgrade',
      body: 'We are upgrading our primary database. The API may answer slowly for a few minutes.',
      component_ids: [api.id],
      scheduled_for: new Date(now + 2 * 24 * hour).toISOString(),
      scheduled_until: new Date(now + 2 * 24 * hour + 2 * hour).toISOString(),
    });
    publishCommunication(ctx, demo, {
      category: 'data_protection',
      title: 'Notice about the security of your account data',
      incident_id: attack.id,
      what_happened: 'During the attack, an attacker used stolen passwords from other sites to sign in to a small number of accounts.',
      data_involved:
        'Names, email addresses and the last four digits of saved cards of the accounts concerned. No full card numbers or passwords stored by us.',
      consequences: 'The people concerned may receive convincing phishing emails using these details.',
      measures: 'We blocked the sign-ins, reset the passwords of the accounts concerned and added rate limits and breached-password checks.',
      what_to_do: 'Choose a new password you do not use elsewhere, turn on two-factor authentication, and be wary of emails asking for card details.',
      contact: 'Our data protection officer: dpo@example.com.',
    });
    console.log(`Demo data added. Open ${ctx.config.publicUrl}/`);
  },
  { create: true },
);
