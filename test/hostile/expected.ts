/** What each file of test/hostile/corpus must give as a proposed config. */
export type Verdict = 'allow' | 'warn' | 'block';
export interface Exp {
  verdict: Verdict;
  rules?: string[];
}
const block = (...rules: string[]): Exp => ({ verdict: 'block', rules });
const ok: Exp = { verdict: 'allow', rules: [] };

/** Every proposed-config file of the corpus and what it must give. A new file without an entry fails the test. */
export const EXPECTED: Record<string, Exp> = {
  'empty.yaml': block('parse.error'),
  'whitespace.json': block('parse.error'),
  'only-comment.yaml': block('parse.error'),
  'doc-end-only.yaml': block('parse.error'),
  'nul.json': block('parse.error'),
  'nul.yaml': block('parse.error'),
  'binary.yaml': block('parse.error'),
  'binary-png.json': block('parse.error'),
  'overlong-utf8.yaml': block('parse.error'),
  'utf16le-bom.json': block('parse.error'),
  'bom.json': ok,
  'bom-crlf.yaml': ok,
  'crlf.json': ok,
  'lone-cr.yaml': { verdict: 'block' },
  'truncated.json': block('parse.error'),
  'truncated.yaml': block('parse.error'),
  'truncated-escape.json': block('parse.error'),
  'trailing-garbage.json': block('parse.error'),
  'json-comments.json': block('parse.error'),
  'dup-key.json': block('parse.duplicate-key'),
  'dup-key.yaml': block('parse.duplicate-key'),
  'dup-key-nested.yaml': block('parse.duplicate-key'),
  'dup-key-escaped.json': block('parse.duplicate-key'),
  'dup-proto.json': block('parse.duplicate-key'),
  'proto.json': ok,
  'proto.yaml': ok,
  'proto-nested.json': ok,
  'proto-nested.yaml': ok,
  'proto-merge.yaml': ok,
  'proto-merge-key.yaml': ok,
  'secret-proto.json': ok,
  'js-function.yaml': block('parse.error'),
  'js-function-quoted-key.yaml': block('parse.error'),
  'js-undefined.yaml': block('parse.error'),
  'js-regexp.yaml': block('parse.error'),
  'python-object.yaml': block('parse.error'),
  'unknown-tag.yaml': block('parse.error'),
  'verbatim-tag.yaml': block('parse.error'),
  'tag-directive.yaml': block('parse.error'),
  'binary-tag.yaml': block('parse.error'),
  'set-tag.yaml': block('parse.error'),
  'omap-tag.yaml': block('parse.error'),
  'timestamp-tag.yaml': block('parse.error'),
  'tagged-key.yaml': block('parse.error'),
  'billion-laughs.yaml': block('input.too-large'),
  'merge-bomb-small.yaml': block('input.too-large'),
  'alias-cycle.yaml': block('parse.error'),
  'alias-unknown.yaml': block('parse.error'),
  'alias-key.yaml': block('parse.error'),
  'multi-doc.yaml': block('parse.error'),
  'complex-key.yaml': block('parse.error'),
  'flow-key.yaml': block('parse.error'),
  'long-key.yaml': block('parse.error'),
  'indent-tabs.yaml': block('parse.error'),
  'precision.json': { verdict: 'warn', rules: ['parse.precision-loss'] },
  'precision.yaml': { verdict: 'warn', rules: ['parse.precision-loss'] },
  'precision-decimal.json': { verdict: 'warn', rules: ['parse.precision-loss'] },
  'infinity.json': block('parse.error'),
  'neg-infinity.json': block('parse.error'),
  'long-number.json': block('parse.error'),
  'infinity.yaml': block('parse.error'),
  'nan.yaml': block('parse.error'),
  'huge-exponent.json': ok,
  'lone-surrogate.json': ok,
  'ansi-key.json': ok,
  'ansi-value.yaml': ok,
  'control-chars.yaml': ok,
  'yaml-directive-1.1.yaml': ok,
  'scalar-root.json': ok,
  'null-root.yaml': ok,
  'deep-300.json': block('input.too-deep'),
  'deep-300.yaml': block('input.too-deep'),
  'deep-compact-seq.yaml': block('input.too-deep'),
};


/** Evaluation time used by the corpus tests. */
export const AT = '2025-06-01T12:00:00Z';

/** The secret values in the corpus that must never appear in any output. */
export const SECRETS = ['hunter2hunter2', 'tok-abcdef123456'];
