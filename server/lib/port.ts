import { createServer } from 'node:net';

/** The port cannot be listened on: said in one line, naming the setting. */
export class PortError extends Error {}

/** A listen error as one line (a port in use or not allowed), or undefined for any other error. */
export function portError(err: unknown, host: string, port: number): PortError | undefined {
  const code = err && typeof err === 'object' && 'code' in err ? err.code : undefined;
  if (code === 'EADDRINUSE')
    return new PortError(`Port ${port} on ${host} is in use (PORT): another program, or another Pharos, listens there. Stop it or choose another PORT.`);
  if (code === 'EACCES') return new PortError(`Port ${port} on ${host} needs privileges this process does not have (PORT): choose a PORT above 1023.`);
  if (code === 'EADDRNOTAVAIL') return new PortError(`${host} is not an address of this machine (HOST).`);
  return undefined;
}

/**
 * Checks that the port can be listened on, before anything touches the data folder: a start-up that
 * would fail on the port migrates nothing and takes no lock. (The real listen still reports a port
 * taken in between, with the same line.)
 */
export function checkPort(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err) => reject(portError(err, host, port) ?? err));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
