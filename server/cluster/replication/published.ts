import type { Body } from '../../snapshot/body.js';

/** A document as published: what it is (key, ETag, type, headers), as stored, and its share of the set's digest. */
export interface Published {
  id: string;
  raw: string;
  member: Buffer;
  /** The snapshot's body it was made from: the same object in the next state means nothing changed. */
  body: Body;
}

/** A document changes when its bytes do, and also when only its type or headers do (the embed frame's CSP). */
export const identity = (key: string, body: Body) => JSON.stringify([key, body.etag, body.type, body.headers]);
