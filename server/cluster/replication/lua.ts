/**
 * The primary's scripts on Redis (publisher.ts), each one atomic. They touch only the page's own keys
 * (keys.ts), so a Redis user limited to `pharos:*` can run them (README, Scaling).
 */

/**
 * One publication: refused while another primary holds the page's lease; else the lease is renewed,
 * the hash updated (emptied first for a full publication), and a stream entry appended that carries
 * the changes (kind "delta") or tells edges to re-read the hash (kind "reload"), with the number of the
 * previous publication this primary made (`base`): an edge that does not hold that one re-reads too.
 * The hash and the entry carry the publication's number (seq) and its state's signature (signing.ts).
 * KEYS: lease, state, changes. ARGV: holder, lease ms, stream length, base, kind, version, epoch,
 * full (1/0), removed (JSON), seq, signature, n removed, removed fields..., n in entry, then
 * field/value pairs; the first `n in entry` pairs also go into the entry.
 */
export const PUBLISH = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return {0, holder} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[8] == '1' then redis.call('DEL', KEYS[2]) end
local n = tonumber(ARGV[12])
for i = 13, 12 + n do redis.call('HDEL', KEYS[2], ARGV[i]) end
redis.call('HSET', KEYS[2], 'version', ARGV[6], 'epoch', ARGV[7], 'seq', ARGV[10], 'sig', ARGV[11])
local entry = {'base', ARGV[4], 'kind', ARGV[5], 'version', ARGV[6], 'epoch', ARGV[7], 'seq', ARGV[10], 'sig', ARGV[11], 'removed', ARGV[9]}
local inEntry = tonumber(ARGV[13 + n])
local k = 0
for i = 14 + n, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  if k < inEntry then
    table.insert(entry, ARGV[i])
    table.insert(entry, ARGV[i + 1])
  end
  k = k + 1
end
local id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', unpack(entry))
return {1, id}
`;

/**
 * Renews the lease if this primary holds it or nobody does, and returns the signature the page's hash
 * holds (the primary publishes everything again when it is not its own: Redis lost it, or someone
 * replaced it); returns the other holder otherwise. KEYS: lease, state. ARGV: holder, lease ms.
 */
export const RENEW = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return {0, holder} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1, redis.call('HGET', KEYS[2], 'sig') or ''}
`;

export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
