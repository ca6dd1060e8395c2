/** Who did something: shown on updates and recorded with each change. */
export type Actor =
  | { type: 'user'; id: string; email: string; name: string; ip?: string }
  | { type: 'api_key'; id: string; name: string; ip?: string }
  | { type: 'system' }
  /** A client that is not signed in (its refusals are tallied per network: domain/access/refusal-tally.ts). */
  | { type: 'anonymous'; ip?: string };

/** The client address an operator or API client acted from (recorded in the audit log). */
export function actorIp(actor: Actor): string {
  return actor.type === 'system' ? '' : (actor.ip ?? '');
}

export function actorLabel(actor: Actor): string {
  switch (actor.type) {
    case 'user':
      return `user:${actor.email}`;
    case 'api_key':
      return `api_key:${actor.name}`;
    case 'system':
      return 'system';
    case 'anonymous':
      return 'anonymous';
  }
}

/** The name shown to other operators as an update's author. */
export function authorName(actor: Actor): string {
  switch (actor.type) {
    case 'user':
      return actor.name || actor.email;
    case 'api_key':
      return `API key “${actor.name}”`;
    case 'system':
      return 'Pharos';
    case 'anonymous':
      return 'Someone not signed in';
  }
}
