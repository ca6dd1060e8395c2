import { addUser, signIn, startPharos, type Agent, type TestPharos } from './pharos.js';
import { TestSmtp } from './smtp.js';

export interface MailWorld {
  smtp: TestSmtp;
  p: TestPharos;
  admin: Agent;
  operator: Agent;
  close(): Promise<void>;
}

/** A Pharos sending to a real SMTP server, with a signed-in admin (admin@acme.test) and operator (operator@acme.test). */
export async function startMailWorld(env: Record<string, string> = {}): Promise<MailWorld> {
  const smtp = new TestSmtp();
  await smtp.start();
  const p = await startPharos({ env: { SMTP_URL: smtp.url, ...env } });
  await addUser(p, 'admin@acme.test', 'admin');
  await addUser(p, 'operator@acme.test', 'operator');
  const admin = await signIn(p, 'admin@acme.test');
  const operator = await signIn(p, 'operator@acme.test');
  return {
    smtp,
    p,
    admin,
    operator,
    close: async () => {
      await p.close();
      await smtp.stop();
    },
  };
}
