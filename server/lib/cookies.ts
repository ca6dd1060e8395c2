import { parse } from 'cookie';

/** `__Host-` cookies on https pin them to this origin, path / and Secure. */
export function cookieName(publicUrl: string, base: string): string {
  return publicUrl.startsWith('https://') ? `__Host-${base}` : base;
}

/** One cookie of a Cookie header (an HTTP request's, or a socket.io handshake's); undefined if absent or unreadable. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  try {
    return parse(header)[name];
  } catch {
    return undefined;
  }
}
