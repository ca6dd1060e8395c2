// npm run seed:demo: fills an empty Pharos with demo components and incidents, to look at or to try the APIs.
import { createGroup } from '../server/domain/component-groups.js';
import { createComponent, listComponents } from '../server/domain/components.js';
import { createIncident, patchIncident } from '../server/domain/incident-writes.js';
import { CliError, runCli } from './cli.js';

const demo = { type: 'system' } as const;

await runCli(async (ctx) => {
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

  createIncident(ctx, demo, {
    name: 'Large-scale malicious attacks on our services',
    status: 'identified',
    impact_override: 'critical',
    body:
      'Our services are the target of a **large-scale malicious attack**. Sign-ups are paused while we filter the traffic.\n\n' +
      'No customer data is known to be affected. We will post an update within the hour.',
    components: { [web.id]: 'degraded_performance', [signup.id]: 'major_outage' },
  });
  console.log(`Demo data added. Open ${ctx.config.publicUrl}/`);
});
