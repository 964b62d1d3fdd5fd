/** Types of generate.mjs (the generator is plain JavaScript so that the benchmarks can run it too). */
/** What a hostile proposed config must produce. */
export interface Expectation {
  verdict: 'allow' | 'warn' | 'block';
  /** Rule ids that must be among the findings (of the proposed document). */
  rules: string[];
}

export interface BigCase extends Expectation {
  name: string;
  file: string;
  /** Also evaluate in-process (cheap enough to do twice). */
  inProcess: boolean;
}

/** Billion laughs: 10 levels of 9 aliases each (9^9 strings after expansion). */
export function billionLaughs(levels?: number): string;
/** Write every big case into a fresh temp dir. Call `cleanup()` when done. */
export function generateBigCorpus(): { dir: string; cases: BigCase[]; cleanup: () => void };
