// A live viewer for the benchmarks that speaks socket.io's protocol over a bare websocket (ws): the
// Engine.IO open packet, a CONNECT with the page's handshake, pings answered, events decoded. It stands in
// for socket.io-client, whose own work per connection (managers, timers, decoders) costs the client
// processes more CPU than the server spends: on 2 shared cores that, not the server, bounded what the
// benchmarks measured. Reconnection is public/js/status.js's, given as `schedule`.
import WebSocket from 'ws';

export type Listener = (data: unknown) => void;

export class RawViewer {
  private ws: WebSocket | undefined;
  private closed = false;
  private readonly listeners = new Map<string, Listener[]>();
  connected = false;

  constructor(
    private readonly url: string,
    private readonly handshake: () => Record<string, unknown>,
  ) {}

  on(event: string, listener: Listener): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }

  private fire(event: string, data?: unknown): void {
    for (const listener of this.listeners.get(event) ?? []) listener(data);
  }

  /** Opens the websocket; 'connect' once the namespace is joined, 'connect_error' or 'disconnect' as socket.io-client says them. */
  connect(): void {
    if (this.ws || this.closed) return;
    const base = new URL(this.url);
    const ws = new WebSocket(`ws://${base.host}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
    this.ws = ws;
    let joined = false;
    ws.on('message', (raw: Buffer, binary: boolean) => {
      if (binary) return;
      const text = raw.toString();
      const type = text[0];
      if (type === '0') ws.send(`40${JSON.stringify(this.handshake())}`);
      else if (type === '2') ws.send('3');
      else if (type === '4') {
        const packet = text.slice(1);
        if (packet.startsWith('0')) {
          joined = true;
          this.connected = true;
          this.fire('connect');
        } else if (packet.startsWith('2')) {
          const [event, data] = JSON.parse(packet.slice(1)) as [string, unknown];
          this.fire(event, data);
        } else if (packet.startsWith('4')) ws.close();
      }
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      this.ws = undefined;
      this.connected = false;
      if (joined) this.fire('disconnect', this.closed ? 'io client disconnect' : 'transport close');
      else if (!this.closed) this.fire('connect_error');
    });
  }

  /** Gone for good, as socket.io-client's close(): no reconnection follows. */
  close(): void {
    this.closed = true;
    this.ws?.terminate();
  }
}
