// A live viewer for the benchmarks that speaks socket.io's protocol on a bare TCP socket: the websocket
// upgrade written as one request, the frames read and written here, the Engine.IO open packet, a CONNECT
// with the page's handshake, pings answered, events decoded. It stands in for socket.io-client, whose own
// work per connection (managers, timers, decoders) cost the client processes more CPU than the server
// spent; then for `ws`'s client, whose HTTP request, header checks, masks and streams still cost these
// processes about as much as the server per reconnection (about 0.35 ms): on 2 shared cores that, not the
// server, bounded what the benchmarks measured. Only what the server sends is understood (text frames in
// one piece, a close frame); anything else ends the connection, seen as a failed viewer. Reconnection is
// public/js/status.js's, given by the caller (fanout-client.ts).
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export type Listener = (data: unknown) => void;

/**
 * One key for the process's handshakes: the server cannot tell, and its answer is checked by one
 * comparison instead of a hash per connection.
 */
const KEY = randomBytes(16).toString('base64');
const ACCEPT = createHash('sha1').update(`${KEY}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
const END_OF_HEADERS = Buffer.from('\r\n\r\n');

/** A masked text frame, as a client must send. The mask is zero: masking guards proxies' caches, of which loopback has none. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const frame = Buffer.alloc(head + 4 + n);
  frame[0] = 0x81;
  if (n < 126) frame[1] = 0x80 | n;
  else if (n < 65_536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(frame, head + 4);
  return frame;
}

export class RawViewer {
  private socket: Socket | undefined;
  private closed = false;
  private readonly listeners = new Map<string, Listener[]>();
  private readonly host: string;
  private readonly port: number;
  private readonly request: Buffer;
  connected = false;

  constructor(
    url: string,
    private readonly handshake: () => Record<string, unknown>,
    /** The address it connects from (one of 127.0.0.0/8). */
    private readonly localAddress?: string,
  ) {
    const base = new URL(url);
    this.host = base.hostname;
    this.port = Number(base.port || 80);
    this.request = Buffer.from(
      `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${base.host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${KEY}\r\n\r\n`,
    );
  }

  on(event: string, listener: Listener): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }

  private fire(event: string, data?: unknown): void {
    for (const listener of this.listeners.get(event) ?? []) listener(data);
  }

  /** Opens the connection; 'connect' once the namespace is joined, 'connect_error' or 'disconnect' as socket.io-client says them. */
  connect(): void {
    if (this.socket || this.closed) return;
    const socket = connect({ host: this.host, port: this.port, localAddress: this.localAddress, noDelay: true });
    this.socket = socket;
    let upgraded = false;
    let joined = false;
    let pending: Buffer | undefined;
    const send = (text: string) => socket.write(textFrame(text));
    const packet = (text: string) => {
      const type = text[0];
      if (type === '0') send(`40${JSON.stringify(this.handshake())}`);
      else if (type === '2') send('3');
      else if (type === '4') {
        const kind = text[1];
        if (kind === '0') {
          joined = true;
          this.connected = true;
          this.fire('connect');
        } else if (kind === '2') {
          const [event, data] = JSON.parse(text.slice(2)) as [string, unknown];
          this.fire(event, data);
        } else if (kind === '4') socket.destroy();
      } else if (type === '1') socket.destroy();
    };
    socket.on('connect', () => socket.write(this.request));
    socket.on('data', (chunk: Buffer) => {
      let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = undefined;
      if (!upgraded) {
        const end = buf.indexOf(END_OF_HEADERS);
        if (end < 0) return void (pending = buf);
        const head = buf.toString('latin1', 0, end);
        // A refusal (403, 503...) or anything but this handshake's answer: a failed attempt.
        if (!head.startsWith('HTTP/1.1 101') || !head.includes(`\r\nSec-WebSocket-Accept: ${ACCEPT}`)) return void socket.destroy();
        upgraded = true;
        buf = buf.subarray(end + END_OF_HEADERS.length);
      }
      let at = 0;
      while (buf.length - at >= 2) {
        const first = buf[at] ?? 0;
        let length = (buf[at + 1] ?? 0) & 0x7f;
        let head = 2;
        if (length === 126) {
          if (buf.length - at < 4) break;
          length = buf.readUInt16BE(at + 2);
          head = 4;
        } else if (length === 127) {
          if (buf.length - at < 10) break;
          length = Number(buf.readBigUInt64BE(at + 2));
          head = 10;
        }
        if (buf.length - at < head + length) break;
        const payload = buf.subarray(at + head, at + head + length);
        at += head + length;
        const opcode = first & 0x0f;
        // Text in one frame is all the server sends; a close frame ends it (the server closes the socket too).
        if (opcode === 0x1 && first & 0x80) packet(payload.toString());
        else return void socket.destroy();
      }
      if (at < buf.length) pending = buf.subarray(at);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.socket = undefined;
      this.connected = false;
      if (joined) this.fire('disconnect', this.closed ? 'io client disconnect' : 'transport close');
      else if (!this.closed) this.fire('connect_error');
    });
  }

  /** Gone for good, as socket.io-client's close(): no reconnection follows. */
  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }
}
