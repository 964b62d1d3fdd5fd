// Cross-check of the judge's Mann–Whitney test against SciPy (an independent implementation): the same samples go
// through scipy.stats.mannwhitneyu (method='exact' and 'asymptotic') and the p-values must agree.
// Needs Debian's /usr/bin/python3 with python3-scipy (scripts/pretest.sh installs it); fails loudly without it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mannWhitney } from '../../src/index.js';
import { mulberry32 as rng } from '../helpers/prng.js';

const PY = '/usr/bin/python3';
const SCRIPT = new URL('../../scripts/scipy-mannwhitney.py', import.meta.url).pathname;


type Case = { x: number[]; y: number[]; alternative: 'greater' | 'less' | 'two-sided'; method: 'exact' | 'asymptotic' };

function cases(): Case[] {
  const r = rng(20251130);
  const out: Case[] = [];
  const alts = ['greater', 'less', 'two-sided'] as const;
  // Exact: small samples without ties (continuous values), sizes 1..12 and a few larger ones.
  for (let i = 0; i < 60; i++) {
    const m = 1 + Math.floor(r() * 12);
    const n = 1 + Math.floor(r() * 12);
    const shift = (r() - 0.3) * 2;
    const x = Array.from({ length: m }, () => r() * 3 + shift);
    const y = Array.from({ length: n }, () => r() * 3);
    out.push({ x, y, alternative: alts[i % 3]!, method: 'exact' });
  }
  for (const [m, n] of [[20, 25], [30, 30], [5, 40]] as const) {
    out.push({ x: Array.from({ length: m }, () => r() + 0.2), y: Array.from({ length: n }, () => r()), alternative: 'greater', method: 'exact' });
  }
  // Asymptotic: with and without ties (values rounded to a coarse grid give many ties), sizes up to 200.
  for (let i = 0; i < 60; i++) {
    const m = 2 + Math.floor(r() * 60);
    const n = 2 + Math.floor(r() * 200);
    const grid = i % 2 === 0 ? 10 : 1e9;
    const shift = (r() - 0.4) * 0.5;
    const x = Array.from({ length: m }, () => Math.round((r() + shift) * grid) / grid);
    const y = Array.from({ length: n }, () => Math.round(r() * grid) / grid);
    out.push({ x, y, alternative: alts[i % 3]!, method: 'asymptotic' });
  }
  return out;
}

function scipy(input: Case[]): Array<{ u: number; p: number }> {
  if (!existsSync(PY)) throw new Error(`${PY} is missing: install Debian's python3 and python3-scipy (scripts/pretest.sh does)`);
  try {
    execFileSync(PY, ['-c', 'import scipy'], { stdio: 'pipe' });
  } catch {
    throw new Error(`SciPy is missing for ${PY}: apt-get install python3-scipy (scripts/pretest.sh does)`);
  }
  return JSON.parse(execFileSync(PY, [SCRIPT], { input: JSON.stringify(input), encoding: 'utf8', timeout: 60_000 })) as Array<{ u: number; p: number }>;
}

describe('mannWhitney agrees with scipy.stats.mannwhitneyu', () => {
  const input = cases();
  const ref = scipy(input);

  it('has SciPy reference values for every case', () => {
    expect(ref).toHaveLength(input.length);
  });

  it.each(input.map((c, i) => [i, c] as const))('case %i', (i, c) => {
    const mine = mannWhitney(c.x, c.y, { alternative: c.alternative, method: c.method });
    expect(mine.method).toBe(c.method);
    const expected = ref[i]!;
    // SciPy reports U of x (U1) for every alternative.
    expect(mine.u).toBeCloseTo(expected.u, 9);
    if (c.method === 'exact') {
      expect(Math.abs(mine.p - expected.p)).toBeLessThanOrEqual(1e-9 + 1e-9 * expected.p);
    } else {
      // erfc approximation: relative error below 1.2e-7 in the tails.
      expect(Math.abs(mine.p - expected.p)).toBeLessThanOrEqual(1e-12 + 5e-7 * expected.p);
    }
  });
});
