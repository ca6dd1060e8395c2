/** Who did something: shown on updates and recorded with each change. */
export type Actor =
  | { type: 'user'; id: string; email: string; name: string }
  | { type: 'api_key'; id: string; name: string }
  | { type: 'system' };

export function actorLabel(actor: Actor): string {
  switch (actor.type) {
    case 'user':
      return `user:${actor.email}`;
    case 'api_key':
      return `api_key:${actor.name}`;
    case 'system':
      return 'system';
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
  }
}
