/** Typed HTTP errors: thrown anywhere, turned into a page or JSON by one middleware. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
    /** Fields left out of `fields` (see Invalid). */
    readonly fieldsOmitted = 0,
  ) {
    super(message);
  }

  /** Sent as Retry-After with 429 and 503 answers. */
  retryAfterSeconds: number | undefined;
  /** What the visitor can do next, offered as a link on the error page. */
  nextStep: { href: string; label: string } | undefined;
}

export class NotFound extends HttpError {
  constructor(message = 'Not found') {
    super(404, 'not_found', message);
  }
}

/** At most this many fields are named in an answer; the others are counted (40,000 bad ids are one mistake). */
export const MAX_FIELDS = 100;
const NAMED_IN_MESSAGE = 5;

/** Bad input: a message for each field, keyed by the field's name (dotted for nested JSON). */
export class Invalid extends HttpError {
  /** `omittedBefore`: fields already left out of `fields` (see within()). */
  constructor(fields: Record<string, string>, message?: string, omittedBefore = 0) {
    const names = Object.keys(fields);
    const total = names.length + omittedBefore;
    const omitted = total - Math.min(names.length, MAX_FIELDS);
    const kept = names.length > MAX_FIELDS ? Object.fromEntries(names.slice(0, MAX_FIELDS).map((n) => [n, fields[n] ?? ''])) : fields;
    const listed =
      names.slice(0, NAMED_IN_MESSAGE).join(', ') + (total > NAMED_IN_MESSAGE ? ` and ${total - Math.min(names.length, NAMED_IN_MESSAGE)} more` : '');
    super(422, 'invalid', message ?? `Invalid ${total ? listed : 'input'}`, kept, omitted);
  }

  /** The same errors for fields inside an envelope: "name" becomes "incident.name" (Statuspage's v1 bodies). */
  within(prefix: string): Invalid {
    const fields = Object.fromEntries(Object.entries(this.fields).map(([k, v]) => [`${prefix}${k}`, v]));
    return new Invalid(fields, undefined, this.fieldsOmitted);
  }
}

/** Too many attempts: a form comes back with its message (fields) and Retry-After. */
export class TooManyAttempts extends HttpError {
  constructor(fields: Record<string, string>, retryAfterSeconds: number) {
    super(429, 'too_many_attempts', Object.values(fields)[0] ?? 'Too many attempts', fields);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class BadRequest extends HttpError {
  constructor(message: string, code = 'bad_request') {
    super(400, code, message);
  }
}

export class Unauthorized extends HttpError {
  constructor(message = 'Authentication required') {
    super(401, 'unauthorized', message);
  }
}

export class Forbidden extends HttpError {
  constructor(message = 'You are not allowed to do this') {
    super(403, 'forbidden', message);
  }
}
