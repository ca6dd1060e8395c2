import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { sleep } from './process.js';

/**
 * Raw connections from chosen loopback addresses (127.x: each a distinct client to the server), for the
 * tests of connection caps: a TCP connection that sends nothing or half a request, an HTTP request on a
 * connection of its own, a websocket spoken directly (no socket.io client, no namespace joined).
 */

/** A TCP connection from `from`; `closed` turns true when the server closes it. */
export interface Held {
  socket: Socket;
  closed: boolean;
}

export function hold(port: number, from: string): Promise<Held> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: from });
    const held: Held = { socket, closed: false };
    socket.on('error', () => undefined);
    socket.once('close', () => (held.closed = true));
    socket.once('connect', () => resolve(held));
    // Refused before connecting (a full accept queue, a reset): counted as closed.
    socket.once('close', () => resolve(held));
  });
}

/** `n` connections from `from`, opened in parallel; settles `ms` for the server to close those it refuses. */
export async function holdMany(port: number, from: string, n: number, ms = 500): Promise<Held[]> {
  const all = await Promise.all(Array.from({ length: n }, () => hold(port, from)));
  await sleep(ms);
  return all;
}

export const stillOpen = (all: Held[]) => all.filter((h) => !h.closed).length;

/** A GET (or any method) from `from` on a connection of its own: its status and body, or the error's code. */
export function fetchFrom(
  url: string,
  from: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(url, { method: opts.method ?? 'GET', localAddress: from, agent: false, headers: opts.headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(opts.body);
  });
}

/** A raw Engine.IO websocket from `from` (no namespace joined): 'open', or the status the handshake got. */
export interface RawSocket {
  ws: WebSocket;
  outcome: Promise<'open' | number | 'error'>;
  closed: Promise<void>;
  isClosed(): boolean;
}

export function rawWebsocket(base: string, from: string, path = '/socket.io/', headers: Record<string, string> = {}): RawSocket {
  const url = `${base.replace(/^http/, 'ws')}${path}?EIO=4&transport=websocket`;
  const ws = new WebSocket(url, { localAddress: from, headers });
  let closed = false;
  const outcome = new Promise<'open' | number | 'error'>((resolve) => {
    ws.once('open', () => resolve('open'));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', () => resolve('error'));
  });
  ws.on('error', () => undefined);
  const done = new Promise<void>((resolve) => ws.once('close', () => ((closed = true), resolve())));
  return { ws, outcome, closed: done, isClosed: () => closed };
}
