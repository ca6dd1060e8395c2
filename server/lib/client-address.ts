import ipaddr from 'ipaddr.js';
import proxyaddr from 'proxy-addr';

/** IPv4 addresses count alone; IPv6 ones by /64, since one host can use a whole /64. */
export function networkOf(ip: string | undefined): string {
  if (!ip) return 'unknown';
  if (ip.startsWith('::ffff:')) return ip.slice(7);
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const full = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return (
    full
      .slice(0, 4)
      .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
      .join(':') + '::/64'
  );
}

/**
 * Which peers TRUST_PROXY trusts (Express's "trust proxy" setting: false, true, a hop count, or
 * addresses and names such as "loopback"), as proxy-addr compiles it: `(address, hop)`. Hop counts
 * trust the first `n` hops whatever their address.
 */
export function proxyTrust(trust: boolean | number | string): (address: string, hop: number) => boolean {
  if (trust === false) return () => false;
  if (trust === true) return () => true;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyaddr.compile(trust.split(',').map((s) => s.trim()));
}

/** Where a proxy of one's own is: loopback, private, link-local and unique-local addresses. */
const NEAR = new Set(['loopback', 'private', 'linkLocal', 'uniqueLocal', 'carrierGradeNat']);

function isNear(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  return NEAR.has(ip.range());
}

/**
 * Whether the peer of a connection is one of the proxies TRUST_PROXY names, so that its connections are
 * everyone's behind it and exempt from a per-address count. Only addresses (and names such as
 * "loopback") say which peers are proxies: with a hop count or `true`, which trust whatever peer comes
 * first, only a peer on a loopback or private network is taken for the proxy, and any other peer (a
 * client that reaches Pharos without it) is counted as itself.
 */
export function proxyPeer(trust: boolean | number | string): (address: string) => boolean {
  if (trust === false) return () => false;
  if (trust === true || typeof trust === 'number') return (address) => (typeof trust === 'number' && trust < 1 ? false : isNear(address));
  const trusted = proxyaddr.compile(trust.split(',').map((s) => s.trim()));
  return (address) => trusted(address, 0);
}
