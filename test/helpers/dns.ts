import { createSocket, type Socket } from 'node:dgram';

/**
 * A real DNS server on a loopback UDP port, for webhook names (WEBHOOK_DNS_SERVERS=127.0.0.1:PORT): it
 * answers A queries with `answer(name)` (IPv4 addresses) and AAAA queries with nothing, and counts the
 * queries per name. Just enough of RFC 1035 for c-ares.
 */
export class TestDns {
  answer: (name: string) => string[] = () => [];
  readonly queries: { name: string; type: number }[] = [];
  private socket: Socket | undefined;
  port = 0;

  async start(): Promise<void> {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', (msg, from) => {
      const { name, type, end } = question(msg);
      this.queries.push({ name, type });
      const addresses = type === 1 ? this.answer(name) : [];
      const header = Buffer.alloc(12);
      msg.copy(header, 0, 0, 2);
      header.writeUInt16BE(0x8180, 2);
      header.writeUInt16BE(1, 4);
      header.writeUInt16BE(addresses.length, 6);
      const answers = addresses.map((a) => {
        const rr = Buffer.alloc(16);
        rr.writeUInt16BE(0xc00c, 0);
        rr.writeUInt16BE(1, 2);
        rr.writeUInt16BE(1, 4);
        rr.writeUInt32BE(0, 6);
        rr.writeUInt16BE(4, 10);
        a.split('.').forEach((octet, i) => rr.writeUInt8(Number(octet), 12 + i));
        return rr;
      });
      socket.send(Buffer.concat([header, msg.subarray(12, end), ...answers]), from.port, from.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    this.port = socket.address().port;
  }

  get server(): string {
    return `127.0.0.1:${this.port}`;
  }

  count(name: string): number {
    return this.queries.filter((q) => q.name === name).length;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.socket ? this.socket.close(() => resolve()) : resolve()));
  }
}

/** The question's name and type, and where it ends. */
function question(msg: Buffer): { name: string; type: number; end: number } {
  const labels: string[] = [];
  let i = 12;
  while (i < msg.length && msg[i] !== 0) {
    const len = msg[i] ?? 0;
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('ascii'));
    i += len + 1;
  }
  const type = msg.readUInt16BE(i + 1);
  return { name: labels.join('.').toLowerCase(), type, end: i + 5 };
}
