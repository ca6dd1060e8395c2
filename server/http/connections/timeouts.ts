import type { ServerOptions } from 'node:http';

/** A request's headers must be in within this time of its first byte (or of the connection's opening). */
export const HEADERS_TIMEOUT_MS = 10_000;

/**
 * At shutdown, how long websockets are left to close by themselves once told (the retry hint and the
 * close frame are in the kernel's buffers by then): a viewer's return to the next process does not wait
 * for a slow client's answer, nor for ws's 30 s.
 */
export const UPGRADED_GRACE_MS = 250;

/**
 * node:http's options for every Pharos server. Node's defaults let a half-sent request hold its
 * connection for 60 s (headers) and check only every 30 s, so 20,000 of them held an edge's descriptors
 * for over a minute; here the headers have 10 s, checked every second.
 * - The whole request (headers and body) has 300 s, Node's default: a 5 MB subscriber CSV over a slow
 *   uplink still arrives; a slow body holds one connection of its address's share, no more.
 * - Idle keep-alive connections are kept 65 s, longer than the usual load balancer's 60 s, so a
 *   balancer never reuses a connection Pharos is closing.
 * - Long-polling (socket.io with one process) is unaffected: its requests arrive at once and wait for
 *   their answer, which no timeout here bounds; upgraded websockets leave node:http's timeouts.
 */
export const SERVER_OPTIONS: ServerOptions = {
  headersTimeout: HEADERS_TIMEOUT_MS,
  requestTimeout: 300_000,
  keepAliveTimeout: 65_000,
  connectionsCheckingInterval: 1_000,
};
