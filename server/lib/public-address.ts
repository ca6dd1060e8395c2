import { lookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which addresses a delivery may be sent to. Only globally routable unicast addresses are public:
 * loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16, the cloud metadata
 * address among them, and fe80::/10), carrier-grade NAT, reserved, multicast and the unspecified address
 * are not, nor an IPv4 address mapped into IPv6 that is one of those. Ranges come from ipaddr.js (the
 * library Express itself uses for trust proxy).
 */
export function isPublicAddress(ip: string): boolean {
  const bare = ip.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return false;
  let addr = ipaddr.parse(bare);
  if (addr instanceof ipaddr.IPv6 && addr.isIPv4MappedAddress()) addr = addr.toIPv4Address();
  return addr.range() === 'unicast';
}

export class PrivateAddressError extends Error {
  readonly code = 'EPRIVATE';
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, which is not a public address`);
  }
}

/** Every address a host name (or literal) stands for, refusing any that is not public unless `allowPrivate`. */
export async function resolvePublic(host: string, allowPrivate: boolean): Promise<LookupAddress[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  const addresses: LookupAddress[] = family
    ? [{ address: bare, family }]
    : await new Promise((resolve, reject) => lookup(bare, { all: true, verbatim: true }, (err, list) => (err ? reject(err) : resolve(list))));
  if (!allowPrivate) {
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
export function guardedLookup(allowPrivate: boolean) {
  return (host: string, options: { all?: boolean }, callback: LookupCallback): void => {
    resolvePublic(host, allowPrivate).then(
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
