/**
 * The fast paths of the masker (src/secrets.ts) against the straightforward code they replace: the same answers for
 * any key, path and value, including the awkward ones (separators, non-ASCII letters that lower-case to ASCII, `~`
 * and `/` in keys, keyed-list segments).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SECRET_KEY_PATTERN, hasSecretWord, isSecretKey, matchesSecretPattern, normalizeKeyName } from '../../src/secrets.js';

const NUM_RUNS = 2000;

/** The words of the secret pattern, as the regex the scan replaces. */
const SECRET_WORDS = /pass|secret|token|credential|key|bearer|cookie|pem/i;

/** isSecretKey as it was written first: normalise, then the pattern (every default name is this). */
function isSecretKeySimple(key: string): boolean {
  return DEFAULT_SECRET_KEY_PATTERN.test(normalizeKeyName(key));
}

/** isSecretKey before the scan (regexes and a cache), to compare quirks as well as answers. */
function isSecretKeyRegex(key: string): boolean {
  const norm = /[-_.]/.test(key) ? normalizeKeyName(key) : undefined;
  return (norm === undefined ? SECRET_WORDS.test(key) : SECRET_WORDS.test(norm)) && DEFAULT_SECRET_KEY_PATTERN.test(norm ?? key.toLowerCase());
}

const WORDS = ['pass', 'secret', 'token', 'credential', 'key', 'bearer', 'cookie', 'pem', 'password', 'api', 'access', 'private', 'secretary', 'k', 'e', 'y', 'P', 'AsS', 'KEY', 'Key'];
/** Characters that stress case folding: the Kelvin sign and long s (upper-case to K and S), dotted I, and others. */
const ODD = ['\u212a', '\u017f', '\u0130', '\u0131', 'ß', 'é', '~', '/', '-', '_', '.', ' ', '0', '\u0000', '\ud83d\ude00'];
const piece = fc.oneof(fc.constantFrom(...WORDS), fc.constantFrom(...ODD), fc.string({ maxLength: 3 }), fc.string({ unit: 'binary', maxLength: 2 }));
const keyArb = fc.array(piece, { maxLength: 6 }).map((parts) => parts.join(''));

describe('secret key names without regexes', () => {
  it('hasSecretWord is the words regex', () => {
    fc.assert(
      fc.property(keyArb, (s) => {
        expect(hasSecretWord(s), JSON.stringify(s)).toBe(SECRET_WORDS.test(s));
      }),
      { numRuns: NUM_RUNS },
    );
    for (const s of ['pas', 'PASS', 'xpem', 'pe', 'ke', 'kEy', '\u212aey', 'ſecret', 'tokeN', 'bearer', 'bEARE', '']) {
      expect(hasSecretWord(s), s).toBe(SECRET_WORDS.test(s));
    }
  });

  it('long keys (scanned by regular expressions past 256 characters) get the same answers', () => {
    const piece = fc.constantFrom('x', 'k', 'p', 'ke', 'key', 'pass', 'secret', '_', '-', '.', 'Token', 'api', 'word', '1');
    const longKey = fc.tuple(fc.array(piece, { minLength: 1, maxLength: 6 }), fc.integer({ min: 60, max: 400 }), fc.array(piece, { maxLength: 3 })).map(
      ([head, times, tail]) => head.join('') + 'k'.repeat(times) + 'x'.repeat(times) + tail.join(''),
    );
    fc.assert(
      fc.property(longKey, (key) => {
        expect(isSecretKey(key), key.slice(0, 40)).toBe(isSecretKeySimple(key));
        expect(hasSecretWord(key)).toBe(SECRET_WORDS.test(key));
      }),
      { numRuns: 500 },
    );
    expect(isSecretKey('k'.repeat(1000) + 'x')).toBe(false);
    expect(isSecretKey('x'.repeat(1000) + '_password')).toBe(true);
    expect(isSecretKey('x'.repeat(1000) + 'apikey')).toBe(true);
  });

  it('matchesSecretPattern is the default pattern', () => {
    const parts = ['passwd', 'password', 'passphrase', 'secret', 'secretar', 'token', 'credential', 'privatekey', 'apikey', 'secretkey', 'accesskey', 'authkey', 'signingkey', 'encryptionkey', 'bearer', 'cookie', 'pem', 'key', 'pass', 's', 'ar', 'x', '1', '\n', '\r', '\u2028', '\u2029', ' '];
    const nameArb = fc.oneof(fc.array(fc.oneof(fc.constantFrom(...parts), fc.string({ maxLength: 2 })), { maxLength: 5 }).map((p) => p.join('')), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(nameArb, (name) => {
        expect(matchesSecretPattern(name), JSON.stringify(name)).toBe(DEFAULT_SECRET_KEY_PATTERN.test(name));
      }),
      { numRuns: 5000 },
    );
    for (const name of ['secret', 'secretx', 'secretar', 'secretarx', 'secrets', 'password', 'passwordx', 'passphrase', 'passphrasex', 'pems', 'apikeyx', 'xapikeys', 'key123', 'x\npassword', 'password\n', 'secret\nx']) {
      expect(matchesSecretPattern(name), JSON.stringify(name)).toBe(DEFAULT_SECRET_KEY_PATTERN.test(name));
    }
  });

  it('isSecretKey answers as the regex version did, and as the pattern on the normalised name', () => {
    fc.assert(
      fc.property(keyArb, (key) => {
        // Twice: the second answer may come from the cache.
        expect(isSecretKey(key), JSON.stringify(key)).toBe(isSecretKeyRegex(key));
        expect(isSecretKey(key), JSON.stringify(key)).toBe(isSecretKeyRegex(key));
      }),
      { numRuns: NUM_RUNS },
    );
    // The scan only rejects: every key it answers is answered like the plain pattern on ASCII keys.
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...WORDS, '-', '_', '.', '1'), { maxLength: 5 }).map((p) => p.join('')), (key) => {
        expect(isSecretKey(key), key).toBe(isSecretKeySimple(key));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

/* ---------------------------------------------------------------- changes */

import { diffConfigs } from '../../src/diff/index.js';
import { createMasker, maskChangesSimple, type SecretPolicy } from '../../src/secrets.js';
import type { Change, ConfigDoc, JsonValue } from '../../src/types.js';

const SECRET_VALUE = 'hunter2-very-long-secret-value-0001';
const KEYS = ['[token=abcd]', '[api_key=xy\\]z]', 'name', 'password', 'api_key', 'token', 'url', 'a/b', 'x~y', '[id=1]', 'list', 'db', 'k1', 'k2', 'hunter2', 'secretary', 'Password', 'id'];
const leafArb: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.constantFrom<JsonValue>(SECRET_VALUE, 'secret', 'sha256', 'postgres://user:pw1234@db/x', 'plain', 'hunter2', 'hunter2-very-long-secret-value', 12345, 7, true, null, `see ${SECRET_VALUE.slice(0, 20)}...`),
  fc.string({ maxLength: 6 }),
  fc.integer(),
);
const valueArb: fc.Arbitrary<JsonValue> = fc.letrec<{ v: JsonValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    leafArb,
    fc.dictionary(fc.constantFrom(...KEYS), tie('v'), { maxKeys: 5 }),
    fc.array(fc.record({ id: fc.constantFrom<JsonValue>(1, 2, 3, 'a]b', SECRET_VALUE), token: leafArb, v: tie('v') }), { maxLength: 3 }),
    fc.array(tie('v'), { maxLength: 3 }),
  ),
})).v;
const docArb = fc.dictionary(fc.constantFrom(...KEYS), valueArb, { maxKeys: 6 });
const policyArb: fc.Arbitrary<SecretPolicy> = fc.record({
  secrets: fc.subarray(['/db/*', '/**/name', '/a~1b', '/list/*/v', '/k1']),
  secretKeys: fc.option(fc.record({ add: fc.subarray(['name', 'url*', 'k2']), exempt: fc.subarray(['token', 'password']) }), { nil: undefined }),
});

function docOf(value: JsonValue | undefined): ConfigDoc | undefined {
  if (value === undefined) return undefined;
  return { value, format: 'json', bytes: 0, file: '<t>', findings: [], failed: false, locate: () => undefined };
}

describe('masking changes', () => {
  it('the fast path masks every change as the straightforward code does', () => {
    fc.assert(
      // Maps, and lists and scalars at the root (a change at the root pointer '').
      fc.property(fc.option(fc.oneof(docArb, docArb, valueArb), { nil: undefined }), fc.oneof(docArb, docArb, valueArb), policyArb, fc.boolean(), (current, proposed, policy, keyed) => {
        const docs = [docOf(proposed), docOf(current)];
        const changes: Change[] = diffConfigs(current, proposed, keyed ? { keys: { '/list': 'id', '/**/list': 'id' } } : undefined);
        const fast = createMasker(policy, docs).changes(changes);
        const simple = maskChangesSimple(policy, docs, changes);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(simple));
        expect(fast).toEqual(simple);
      }),
      { numRuns: 1500 },
    );
  });

  it('keeps a change that needs no masking as it is, and masks one under a secret key name', () => {
    const changes = diffConfigs(undefined, { k1: 1, password: 'abcdefgh', 'a/b': 'x' });
    const masked = createMasker({ secrets: [] }, [docOf({ k1: 1, password: 'abcdefgh', 'a/b': 'x' })]).changes(changes);
    // /a~1b has an escape: the general path, which copies.
    expect(masked[0]).not.toBe(changes[0]);
    expect(masked[0]).toEqual(changes[0]);
    expect(masked.find((c) => c.pointer === '/k1')).toBe(changes.find((c) => c.pointer === '/k1'));
    expect(masked.find((c) => c.pointer === '/password')!.newValue).toMatch(/^«secret sha256:/);
  });
});

describe('masking the changes of a report (maskReport: values handed out as they are, keys the loader judged)', () => {
  const PLAIN_KEYS = KEYS.filter((k) => !isSecretKey(k));
  const plainValueArb: fc.Arbitrary<JsonValue> = fc.letrec<{ v: JsonValue }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      leafArb,
      fc.dictionary(fc.constantFrom(...PLAIN_KEYS), tie('v'), { maxKeys: 5 }),
      fc.array(fc.record({ id: fc.constantFrom<JsonValue>(1, 2, 'a]b', SECRET_VALUE), v: tie('v') }), { maxLength: 3 }),
      fc.array(tie('v'), { maxLength: 3 }),
    ),
  })).v;
  // Maps, and lists and scalars at the root (a change at the root pointer '').
  const sideArb = fc.oneof(docArb, fc.dictionary(fc.constantFrom(...PLAIN_KEYS), plainValueArb, { maxKeys: 6 }), plainValueArb, valueArb);
  /** The loader's mark, computed directly: no key anywhere in the value looks like a secret. */
  const noSecretKey = (v: JsonValue | undefined): boolean =>
    v === null || typeof v !== 'object' ? true : Array.isArray(v) ? v.every(noSecretKey) : Object.keys(v).every((k) => !isSecretKey(k) && noSecretKey(v[k]));

  it('masks every change as the straightforward code does', () => {
    fc.assert(
      fc.property(fc.option(sideArb, { nil: undefined }), sideArb, policyArb, fc.boolean(), (current, proposed, policy, keyed) => {
        const docs = [docOf(proposed), docOf(current)];
        const changes: Change[] = diffConfigs(current, proposed, keyed ? { keys: { '/list': 'id', '/**/list': 'id' } } : undefined);
        const sides = { shareNew: true, plainNewKeys: noSecretKey(proposed), plainOldKeys: current !== undefined && noSecretKey(current) };
        const fast = createMasker(policy, docs, [], sides).changes(changes);
        const simple = maskChangesSimple(policy, docs, changes);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(simple));
        expect(fast).toEqual(simple);
      }),
      { numRuns: 1500 },
    );
  });

  it('hands out a new value with nothing to mask as it is (not a copy), and still masks URL passwords', () => {
    const proposed = { svc: { name: 'a', pool: { size: 3, list: [1, 'x'] } }, db: { url: 'postgres://u:pw1234@h/x' } };
    const changes = diffConfigs(undefined, proposed);
    const masked = createMasker({ secrets: [] }, [docOf(proposed)], [], { shareNew: true, plainNewKeys: true }).changes(changes);
    expect(masked.find((c) => c.pointer === '/svc')!.newValue).toBe(proposed.svc);
    const db = masked.find((c) => c.pointer === '/db')!.newValue as { url: string };
    expect(db).not.toBe(proposed.db);
    expect(db.url).not.toContain('pw1234');
    // At the root too (a first push of a list).
    const list = [{ name: 'a' }, 2];
    const rootChanges = diffConfigs(undefined, list);
    expect(createMasker({ secrets: [] }, [docOf(list)], [], { shareNew: true, plainNewKeys: true }).changes(rootChanges)[0]).toBe(rootChanges[0]);
    // Without the option, a copy as before.
    expect(createMasker({ secrets: [] }, [docOf(proposed)]).changes(changes).find((c) => c.pointer === '/svc')!.newValue).not.toBe(proposed.svc);
  });
});
