/** Typed HTTP errors: thrown anywhere, turned into a page or JSON by one middleware. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

export class NotFound extends HttpError {
  constructor(message = 'Not found') {
    super(404, 'not_found', message);
  }
}

/** Bad input: a message for each field, keyed by the field's name (dotted for nested JSON). */
export class Invalid extends HttpError {
  constructor(fields: Record<string, string>, message?: string) {
    const names = Object.keys(fields);
    super(422, 'invalid', message ?? `Invalid ${names.length ? names.join(', ') : 'input'}`, fields);
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
