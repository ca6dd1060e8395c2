import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP relay in front of a real SMTP server (test/helpers/smtp.ts) that drops connections as a flaky
 * server or network does: while `drops` is above zero, a client's DATA command (every `every`-th one)
 * is answered by the connection closing (the message is lost in transit, never accepted), and `drops`
 * goes down by one.
 */
export class DroppingRelay {
  /** How many of the next messages lose their connection at DATA. */
  drops = 0;
  /** How many connections were dropped so far. */
  dropped = 0;
  /** When each was dropped (performance.now()), for the benchmark. */
  readonly droppedAt: number[] = [];
  /** How many DATA commands it saw (messages offered to the server, dropped ones included). */
  offered = 0;
  /** Set to drop the connection of every n-th message offered instead (while `drops` lasts). */
  every = 1;
  port = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly targetPort: () => number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort(), '127.0.0.1');
      this.sockets.add(client).add(upstream);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      let line = '';
      client.on('data', (chunk: Buffer) => {
        // Commands are lines; only a whole "DATA" line counts (not the words of a message's body, which
        // come after DATA's 354 reply and never alone on a line before it).
        line += chunk.toString('latin1');
        const lines = line.split('\r\n');
        line = lines.pop() ?? '';
        if (lines.some((l) => l.toUpperCase() === 'DATA') && ++this.offered % this.every === 0 && this.drops > 0) {
          this.drops--;
          this.dropped++;
          this.droppedAt.push(performance.now());
          close();
          return;
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => client.write(chunk));
      client.on('error', close);
      upstream.on('error', close);
      client.on('close', close);
      upstream.on('close', close);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
