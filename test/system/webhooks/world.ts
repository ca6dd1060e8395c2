import { createComponent } from '../../../server/domain/page/components.js';
import { addUser, confirmAccess, signIn, startPharos, type Agent, type TestPharos } from '../../helpers/pharos.js';
import { Receiver } from '../../helpers/receiver.js';

export const system = { type: 'system' } as const;

export interface World {
  p: TestPharos;
  admin: Agent;
  receiver: Receiver;
  api: string;
  web: string;
}

/** A Pharos with two components, a signed-in admin (password confirmed) and a real HTTP receiver on loopback. */
export async function startWorld(env: Record<string, string> = {}): Promise<World> {
  const p = await startPharos({ env });
  const receiver = new Receiver();
  await receiver.start();
  await addUser(p, 'admin@example.com', 'admin');
  const admin = await signIn(p, 'admin@example.com');
  await confirmAccess(admin);
  const api = createComponent(p.ctx, system, { name: 'API' }).id;
  const web = createComponent(p.ctx, system, { name: 'Web app' }).id;
  return { p, admin, receiver, api, web };
}

export async function stopWorld(w: World): Promise<void> {
  await w.receiver.stop();
  await w.p.close();
}

/** Lets the webhook and chat worker send what is due now, and waits for it. */
export async function drainHooks(p: TestPharos): Promise<void> {
  for (let i = 0; i < 3; i++) {
    p.ctx.hooks.wake();
    await p.ctx.hooks.idle();
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const deliveriesTo = (p: TestPharos, endpointId: string) =>
  p.ctx.db.prepare('SELECT kind, state, attempts, last_error, smtp_response FROM deliveries WHERE endpoint_id = ? ORDER BY id').all(endpointId) as {
    kind: string;
    state: string;
    attempts: number;
    last_error: string | null;
    smtp_response: string | null;
  }[];
