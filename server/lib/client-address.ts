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
