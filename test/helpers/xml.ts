import { spawnSync } from 'node:child_process';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** Whether Debian's xmllint (libxml2-utils) is installed: .ci/run installs it. */
export const hasXmllint = spawnSync('xmllint', ['--version']).error === undefined;

/** xmllint's complaints about a document ('' when it is well-formed); only call it when `hasXmllint`. */
export function xmllint(text: string): string {
  const run = spawnSync('xmllint', ['--noout', '-'], { input: text, encoding: 'utf8' });
  return run.status === 0 ? '' : `${run.stderr}`.trim() || `xmllint exited ${run.status}`;
}

/** fast-xml-parser's verdict: true, or what is wrong and where. */
export function validateXml(text: string): true | string {
  const result = XMLValidator.validate(text);
  return result === true ? true : `${result.err.code} at ${result.err.line}:${result.err.col}: ${result.err.msg}`;
}

/** A parsed SVG or feed, attributes under their own names prefixed with "@"; the elements named in `lists` always as lists. */
export function parseXml(text: string, lists: string[] = []): Record<string, unknown> {
  const isArray = (name: string) => lists.includes(name);
  return new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray }).parse(text) as Record<string, unknown>;
}
