import express, { type RequestHandler } from 'express';
import { HttpError } from '../../errors.js';

const shown = (bytes: number) => (bytes >= 1024 * 1024 ? `${Math.round(bytes / (1024 * 1024))} MB` : `${Math.round(bytes / 1024)} KB`);

export function tooLarge(limitBytes: number): HttpError {
  return new HttpError(413, 'payload_too_large', `The request body is larger than ${shown(limitBytes)}`);
}

/**
 * A body announced larger than the limit is refused at once, on its Content-Length: body-parser would
 * first read (and discard) all of it, so a client announcing a megabyte and sending nothing would hold
 * the request open. Bodies without a length are counted as they arrive, as body-parser does.
 */
function refuseAnnouncedOverLimit(limitBytes: number): RequestHandler {
  return (req, _res, next) => {
    const announced = Number(req.headers['content-length'] ?? 0);
    next(announced > limitBytes ? tooLarge(limitBytes) : undefined);
  };
}

function bounded(limitBytes: number, parse: RequestHandler): RequestHandler {
  const check = refuseAnnouncedOverLimit(limitBytes);
  return (req, res, next) => check(req, res, (err?: unknown) => (err ? next(err) : parse(req, res, next)));
}

/** A urlencoded form body (non-extended: flat strings and lists), at most `limitBytes`. */
export function formParser(limitBytes: number, parameterLimit: number): RequestHandler {
  return bounded(limitBytes, express.urlencoded({ extended: false, limit: limitBytes, parameterLimit }));
}

/** A JSON body, at most `limitBytes`. */
export function jsonParser(limitBytes: number): RequestHandler {
  return bounded(limitBytes, express.json({ limit: limitBytes }));
}

/**
 * A urlencoded form with Rails-style brackets (`incident[name]=X`, `incident[components][ID]=major_outage`,
 * `incident[component_ids][]=ID`), parsed by qs into the objects a JSON body would hold, at most
 * `limitBytes`, `parameterLimit` fields (more: 413) and `depth` levels of brackets (deeper: 400). qs
 * turns an index above its array limit (the number of fields, at least 100) into an object key, so a
 * field cannot make a huge sparse list.
 */
export function bracketFormParser(limitBytes: number, parameterLimit: number, depth: number): RequestHandler {
  // body-parser 2 takes `depth`; its type definitions do not name it yet.
  const options = { extended: true, limit: limitBytes, parameterLimit, depth };
  return bounded(limitBytes, express.urlencoded(options));
}
