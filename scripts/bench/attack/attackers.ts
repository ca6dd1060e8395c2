// bench:attack's attacker: one attack at a time, from the addresses it is given (127.0.0.x), until told to
// stop; it counts what it sent and how the server answered. A child process of its own, so that its work
// does not sit on the event loop that measures the viewers' and the operator's latencies.
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';

export type AttackName = 'expensive-urls' | 'idle-connections' | 'raw-websockets' | 'signin-flood' | 'signup-flood' | 'api-flood';
export type ToAttacker =
  { type: 'start'; attack: AttackName; url: string; addresses: string[]; share: number; pageId: string; apiKey: string } | { type: 'stop' };
export type FromAttacker = { type: 'stopped'; counts: Record<string, number> };

const send = (m: FromAttacker) => process.send?.(m);
const rand = () => randomBytes(6).toString('hex');
const counts: Record<string, number> = {};
const count = (what: string) => (counts[what] = (counts[what] ?? 0) + 1);
let running = false;
const closers: (() => void)[] = [];

/** In flight at once per address and attacker process, for the request floods. */
const CONCURRENCY = 8;
/** What holds connections open: 20,000 idle connections and 5,000 raw websockets in all, split over the addresses. */
const IDLE_CONNECTIONS = 20_000;
const RAW_WEBSOCKETS = 5_000;

interface Answer {
  status: number;
  setCookie: string[];
  body: string;
}

function http(
  url: string,
  localAddress: string,
  agent: Agent,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, localAddress, agent, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body.length < 100_000 ? (body += d) : undefined));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'] ?? [], body }));
      res.on('error', () => resolve({ status: 0, setCookie: [], body: '' }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, setCookie: [], body: '' }));
    req.end(opts.body);
  });
}

/** `CONCURRENCY` loops per address, each sending one request after the other while the attack runs. */
async function flood(addresses: string[], one: (address: string, agent: Agent) => Promise<number>): Promise<void> {
  const loops = addresses.flatMap((address) => {
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    closers.push(() => agent.destroy());
    return Array.from({ length: CONCURRENCY }, async () => {
      while (running) {
        const status = await one(address, agent);
        count(status === 0 ? 'failed' : String(status));
        // A refused connection answers at once: a short pause keeps the loop from spinning.
        if (status === 0) await new Promise((r) => setTimeout(r, 50));
      }
    });
  });
  await Promise.all(loops);
}

/**
 * Connections held open, up to `total` over the addresses, opened again when the server closes them: at
 * most 50 new ones every 10 ms in all (5,000 a second), a crowd that keeps trying rather than one burst.
 */
function hold(addresses: string[], total: number, open: (address: string, closed: () => void) => { close(): void }): void {
  const perAddress = Math.ceil(total / addresses.length);
  const live = new Set<{ close(): void }>();
  const held = new Map(addresses.map((a) => [a, 0]));
  let most = 0;
  let next = 0;
  const tick = setInterval(() => {
    for (let i = 0, tries = 0; i < 50 && running && tries < addresses.length * 50; tries++) {
      const address = addresses[next++ % addresses.length] ?? '127.0.0.1';
      if ((held.get(address) ?? 0) >= perAddress) continue;
      i++;
      held.set(address, (held.get(address) ?? 0) + 1);
      count('opened');
      const conn = open(address, () => {
        held.set(address, (held.get(address) ?? 1) - 1);
        live.delete(conn);
        count('closed by the server');
      });
      live.add(conn);
    }
    most = Math.max(most, live.size);
  }, 10);
  closers.push(() => {
    clearInterval(tick);
    counts['most held at once'] = most;
    live.forEach((c) => c.close());
  });
}

function halfSentRequest(url: URL, localAddress: string, closed: () => void): { close(): void } {
  let mine = false;
  const socket: Socket = connect({ host: url.hostname, port: Number(url.port), localAddress }, () => {
    // Headers begun, never finished: the server waits for the rest.
    socket.write(`GET / HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: idle\r\nX-Pad: `);
  });
  socket.on('error', () => undefined);
  socket.on('close', () => mine || closed());
  return {
    close: () => {
      mine = true;
      socket.destroy();
    },
  };
}

function rawWebsocket(url: URL, localAddress: string, closed: () => void): { close(): void } {
  let mine = false;
  // An Engine.IO websocket that never joins the namespace (no socket.io CONNECT packet is ever sent).
  const ws = new WebSocket(`ws://${url.host}/socket.io/?EIO=4&transport=websocket`, { localAddress });
  ws.on('error', () => undefined);
  ws.on('close', () => mine || closed());
  return {
    close: () => {
      mine = true;
      ws.terminate();
    },
  };
}

async function start(m: Extract<ToAttacker, { type: 'start' }>): Promise<void> {
  const base = new URL(m.url);
  switch (m.attack) {
    case 'expensive-urls': {
      // Every public URL whose cost could grow with the data or the query string.
      const paths = [
        () => `/history?page=${Math.floor(Math.random() * 1e6) + 2}`,
        () => `/incidents/${rand()}`,
        () => `/notices/${rand()}`,
        () => `/history.atom?component=${rand()}`,
        () => `/badge.svg?component=${rand()}&style=${rand()}`,
        () => `/?q=${rand()}`,
        () => `/api/v2/incidents/${rand()}.json`,
        () => `/${rand()}`,
      ];
      let i = 0;
      return flood(m.addresses, async (address, agent) => (await http(`${m.url}${(paths[i++ % paths.length] ?? paths[0])?.() ?? '/'}`, address, agent)).status);
    }
    case 'idle-connections':
      return hold(m.addresses, IDLE_CONNECTIONS * m.share, (address, closed) => halfSentRequest(base, address, closed));
    case 'raw-websockets':
      return hold(m.addresses, RAW_WEBSOCKETS * m.share, (address, closed) => rawWebsocket(base, address, closed));
    case 'signin-flood': {
      // A sign-in form (its cookie and CSRF token) per address, then wrong passwords as fast as answered.
      const forms = new Map<string, { cookie: string; csrf: string }>();
      return flood(m.addresses, async (address, agent) => {
        let form = forms.get(address);
        if (!form) {
          const page = await http(`${m.url}/admin/login`, address, agent);
          form = { cookie: page.setCookie.map((c) => c.split(';')[0]).join('; '), csrf: /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '' };
          forms.set(address, form);
        }
        const body = new URLSearchParams({ _csrf: form.csrf, email: `admin${Math.floor(Math.random() * 5)}@example.com`, password: rand(), next: '/admin' });
        return (
          await http(`${m.url}/admin/login`, address, agent, {
            method: 'POST',
            headers: { Cookie: form.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
            body: body.toString(),
          })
        ).status;
      });
    }
    case 'signup-flood':
      return flood(
        m.addresses,
        async (address, agent) =>
          (
            await http(`${m.url}/subscribe`, address, agent, {
              method: 'POST',
              headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({ email: `${rand()}@example.com`, scope: 'all' }).toString(),
            })
          ).status,
      );
    case 'api-flood':
      // Half with keys that do not exist, half with a real key of the attacker's (a leaked one) past its budget.
      return flood(m.addresses, async (address, agent) => {
        const key = Math.random() < 0.5 ? rand() : m.apiKey;
        return (await http(`${m.url}/api/v1/pages/${m.pageId}/incidents`, address, agent, { headers: { Authorization: `OAuth ${key}` } })).status;
      });
  }
}

process.on('message', (m: ToAttacker) => {
  if (m.type === 'start') {
    running = true;
    for (const k of Object.keys(counts)) delete counts[k];
    void start(m);
  } else {
    running = false;
    for (const close of closers.splice(0)) close();
    // Floods end with their requests in flight; a moment for them to come back.
    setTimeout(() => send({ type: 'stopped', counts: { ...counts } }), 1500);
  }
});
setTimeout(() => process.exit(2), 30 * 60_000).unref();
