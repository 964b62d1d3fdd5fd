/**
 * The fast paths of the masker (src/secrets.ts) against the straightforward code they replace: the same answers for
 * any key, path and value, including the awkward ones (separators, non-ASCII letters that lower-case to ASCII, `~`
 * and `/` in keys, keyed-list segments).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SECRET_KEY_PATTERN, hasSecretWord, isSecretKey, normalizeKeyName } from '../../src/secrets.js';

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
