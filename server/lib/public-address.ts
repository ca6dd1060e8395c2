import { lookup, promises as dns, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which addresses a delivery may be sent to. Only globally routable unicast addresses are public:
 * loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16, the cloud metadata
 * address among them, and fe80::/10), carrier-grade NAT, reserved, multicast and the unspecified address
 * are not, nor an IPv4 address mapped into IPv6 (or in the deprecated IPv4-compatible ::/96 form) that
 * is one of those. Ranges come from ipaddr.js (the library Express itself uses for trust proxy).
 */
export function isPublicAddress(ip: string): boolean {
  const bare = ip.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return false;
  let addr = ipaddr.parse(bare);
  if (addr instanceof ipaddr.IPv6) {
    if (addr.isIPv4MappedAddress()) addr = addr.toIPv4Address();
    // ::a.b.c.d (IPv4-compatible, deprecated): some stacks still route it to the IPv4 address.
    else if (addr.parts.slice(0, 6).every((p) => p === 0)) return false;
  }
  return addr.range() === 'unicast';
}

export class PrivateAddressError extends Error {
  readonly code = 'EPRIVATE';
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, which is not a public address`);
  }
}

export interface ResolveOptions {
  /** An admin's endpoint: private addresses allowed, names resolved by the system (hosts file included). */
  allowPrivate: boolean;
  /** DNS servers for names from the public ("host" or "host:port"); empty: the system's. */
  dnsServers?: string[];
}

/**
 * A name from the public is resolved by c-ares (dns.Resolver), with a short timeout and a bounded
 * number of tries, never by getaddrinfo: that runs on libuv's four-thread pool, which a slow
 * authoritative server of the attacker's would hold, and with it the password hashing and compression
 * that share the pool.
 */
async function resolveUntrusted(host: string, servers: string[] | undefined): Promise<LookupAddress[]> {
  const resolver = new dns.Resolver({ timeout: 1500, tries: 2 });
  if (servers?.length) resolver.setServers(servers);
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  const list = [
    ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 })) : []),
    ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 })) : []),
  ];
  if (!list.length) throw Object.assign(new Error(`${host} does not resolve`), { code: 'ENOTFOUND' });
  return list;
}

/** Every address a host name (or literal) stands for, refusing any that is not public unless `allowPrivate`. */
export async function resolvePublic(host: string, opts: ResolveOptions): Promise<LookupAddress[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  const addresses: LookupAddress[] = family
    ? [{ address: bare, family }]
    : opts.allowPrivate
      ? await new Promise((resolve, reject) => lookup(bare, { all: true, verbatim: true }, (err, list) => (err ? reject(err) : resolve(list))))
      : await resolveUntrusted(bare, opts.dnsServers);
  if (!opts.allowPrivate) {
    const bad = addresses.find((a) => !isPublicAddress(a.address));
    if (bad) throw new PrivateAddressError(bare, bad.address);
  }
  return addresses;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that resolves once and connects only to what it checked: a name that
 * resolved to a public address when the endpoint was created and to 127.0.0.1 now (DNS rebinding) is
 * refused at this delivery, and the connection cannot go to a second, different answer.
 */
export function guardedLookup(opts: ResolveOptions) {
  return (host: string, options: { all?: boolean }, callback: LookupCallback): void => {
    resolvePublic(host, opts).then(
      (list) => {
        const first = list[0];
        if (!first) return callback(Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' }), '', 0);
        if (options.all) return callback(null, list);
        callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}
