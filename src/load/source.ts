/**
 * The decoded source text of each document `parseConfig` made, kept by the document's identity (a WeakMap: it goes
 * away with the document). Internal: the HTML report reads it to show the lines around a finding
 * (`reportSources` in src/report/html), after masking secrets.
 */
import type { ConfigDoc } from '../types.js';

const texts = new WeakMap<ConfigDoc, string>();

/** Remember the text a document was parsed from; returns the document. */
export function withSource(doc: ConfigDoc, text: string): ConfigDoc {
  texts.set(doc, text);
  return doc;
}

/** The text a document was parsed from (BOM removed), when `parseConfig` made it from text. */
export function sourceTextOf(doc: ConfigDoc): string | undefined {
  return texts.get(doc);
}
