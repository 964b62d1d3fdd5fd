/**
 * A gate's compiled policy per file: a policy without `GLOB#` patterns is compiled once and every file sees it; with
 * globs, each distinct combination of globs that apply to a file gets its own view (patterns reduced to their
 * pointers, the schema of `files.schemas`), compiled once per gate and reused for every file with the same globs.
 */
import type { ResolvedPolicy } from '../policy/types.js';
import { compileGlob, globMatchesFileName, policyGlobs, policyView, type Glob } from './paths.js';

/** Bound on cached views per gate (a policy with many globs and unusual file names cannot grow it without end). */
const MAX_VIEWS = 256;

/** Compiled views of one policy, by the globs that apply. */
export class PolicyViews<V extends { policy: ResolvedPolicy }> {
  /** The view of a file no glob applies to (the policy itself when it has no globs). */
  readonly base: V;
  private readonly globs: Array<{ source: string; glob: Glob }>;
  private readonly cache = new Map<string, V>();

  constructor(
    private readonly policy: ResolvedPolicy,
    private readonly compile: (policy: ResolvedPolicy) => V,
  ) {
    this.globs = policyGlobs(policy).map((source) => ({ source, glob: compileGlob(source) }));
    this.base = compile(this.globs.length === 0 ? policy : policyView(policy, () => false));
    this.cache.set('', this.base);
  }

  /** The view for a member of a set (its path relative to the set's folder). */
  forMember(rel: string): V {
    return this.view((g) => g.matches(rel));
  }

  /** The view for a single-file check: globs are matched against the name as given and its trailing parts. */
  forFileName(name: string): V {
    return this.view((g) => globMatchesFileName(g, name));
  }

  private view(test: (g: Glob) => boolean): V {
    if (this.globs.length === 0) return this.base;
    const on = new Set<string>();
    let key = '';
    for (let i = 0; i < this.globs.length; i++) {
      const g = this.globs[i]!;
      if (test(g.glob)) {
        on.add(g.source);
        key += `${i},`;
      }
    }
    let v = this.cache.get(key);
    if (v === undefined) {
      v = this.compile(policyView(this.policy, (glob) => on.has(glob)));
      if (this.cache.size >= MAX_VIEWS) {
        this.cache.clear();
        this.cache.set('', this.base);
      }
      this.cache.set(key, v);
    }
    return v;
  }
}
