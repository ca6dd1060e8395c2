import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

export interface Received {
  to: string;
  raw: string;
  mail: ParsedMail;
}

/**
 * A decision for one message: accept, or reply with an SMTP error such as 451 or 550, after the data
 * (the default) or to the recipient (stage 'rcpt', as a server does for an unknown mailbox), or to
 * the sender (stage 'mail', as for a refused sender address).
 */
export type Verdict = { accept: true } | { accept: false; code: number; message: string; stage?: 'mail' | 'rcpt' | 'data' };

/**
 * A real SMTP server on a loopback port (the smtp-server package), keeping every message it accepts.
 * `decide` can refuse messages; stop() and start() take it down and back up on the same port.
 */
export class TestSmtp {
  readonly received: Received[] = [];
  decide: (to: string, count: number) => Verdict = () => ({ accept: true });
  /** How long the server takes to answer each message's data (a slow server: sends stay in flight). */
  delayMs = 0;
  port = 0;
  /** Server-side errors other than a client resetting its connection. */
  readonly errors: Error[] = [];
  private server: SMTPServer | undefined;
  private readonly attempts = new Map<string, number>();
  private waiters: { test: () => boolean; resolve: () => void }[] = [];

  async start(port = this.port): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      size: 10 * 1024 * 1024,
      onMailFrom: (_address, session, callback) => this.early('mail', session, undefined, callback),
      onRcptTo: (address, session, callback) => this.early('rcpt', session, address.address, callback),
      onData: (stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null) => void) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const to = session.envelope.rcptTo.map((r) => r.address).join(',');
          const count = (this.attempts.get(to) ?? 0) + 1;
          this.attempts.set(to, count);
          const verdict = this.decide(to, count);
          if (!verdict.accept && (verdict.stage ?? 'data') === 'data') {
            const err = new Error(verdict.message) as Error & { responseCode: number };
            err.responseCode = verdict.code;
            return callback(err);
          }
          new Promise((r) => setTimeout(r, this.delayMs))
            .then(() => simpleParser(raw))
            .then((mail) => {
              this.received.push({ to, raw, mail });
              this.check();
              callback();
            })
            .catch((err: Error) => callback(err));
        });
      },
    });
    // A client that vanishes mid-session (a Pharos killed with SIGKILL, a pool closed at stop) resets
    // its connection; smtp-server reports that as an 'error' event, which must not become an uncaught
    // exception after the test that caused it has ended. Anything else is kept for the test to see.
    this.server.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') this.errors.push(err);
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  /** Refusals at MAIL FROM or RCPT TO; the attempt is counted when the refusal happens there. */
  private early(stage: 'mail' | 'rcpt', session: SMTPServerSession, rcpt: string | undefined, callback: (err?: Error | null) => void): void {
    if (stage === 'mail') {
      const verdict = this.decide('', 0);
      if (!verdict.accept && verdict.stage === 'mail') return callback(Object.assign(new Error(verdict.message), { responseCode: verdict.code }));
      return callback();
    }
    const to = rcpt ?? '';
    const verdict = this.decide(to, (this.attempts.get(to) ?? 0) + 1);
    if (!verdict.accept && verdict.stage === 'rcpt') {
      this.attempts.set(to, (this.attempts.get(to) ?? 0) + 1);
      return callback(Object.assign(new Error(verdict.message), { responseCode: verdict.code }));
    }
    void session;
    callback();
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  to(address: string): Received[] {
    return this.received.filter((r) => r.to === address);
  }

  /** Waits until `test` holds for what was received. */
  until(test: () => boolean, ms = 10_000): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`SMTP condition not met within ${ms} ms (${this.received.length} received)`)), ms);
      this.waiters.push({ test, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  private check(): void {
    for (const w of [...this.waiters]) {
      if (w.test()) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }
}

/** The first link in a message's text matching the pattern. */
export function linkIn(r: Received, pattern: RegExp): string {
  const text = r.mail.text ?? '';
  const m = text.match(new RegExp(`https?://\\S*${pattern.source}\\S*`));
  if (!m) throw new Error(`no link matching ${pattern} in:\n${text}`);
  return m[0];
}
