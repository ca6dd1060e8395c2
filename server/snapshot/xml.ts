/**
 * Text for XML 1.0 documents (the feeds, the badges): what XML cannot hold at all (most control
 * characters, lone surrogates, U+FFFE and U+FFFF), even escaped, is dropped; markup characters are escaped.
 */

// Everything but tab, line feed, carriage return and the ranges XML 1.0 allows (its production Char).
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Drops what an XML document may not contain. */
export function xmlClean(value: string): string {
  return value.replace(NOT_XML, '');
}

/** Character data: between tags. */
export function xmlText(value: string): string {
  return xmlClean(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute's value, between double quotes. */
export function xmlAttr(value: string): string {
  return xmlText(value).replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}
