import { defineConfig } from 'tsup';
import { CLI_LAZY_PACKAGES as LAZY, exactly, lazyExternals } from './scripts/lazy-externals.mjs';

// LAZY: required by the CLI on first use, not at start-up (scripts/lazy-externals.mjs). Still external: in
// `noExternal` only so that tsup's own external plugin lets the lazy-externals plugin see them.

const common = {
  entry: { index: 'src/index.ts' },
  dts: true,
  sourcemap: true,
  target: 'node20',
  splitting: false,
} as const;

export default defineConfig([
  { ...common, format: ['esm'] },
  // p-limit (and its yocto-queue) and @marcbachmann/cel-js are ESM-only: the CJS build bundles them so
  // `require('confgate')` works on every supported Node version, without relying on require(esm) interop.
  { ...common, format: ['cjs'], noExternal: ['p-limit', 'yocto-queue', '@marcbachmann/cel-js'] },
  // The CLI is CommonJS (dist/cli/bin.cjs): on Node 20 the ES module loader runs every CommonJS dependency through
  // its export lexer first, which cost the CLI about 130 ms of CPU at every start (`node bench/hostile.mjs`, floor).
  {
    entry: { 'cli/bin': 'src/cli/bin.ts' },
    format: ['cjs'],
    noExternal: ['p-limit', 'yocto-queue', '@marcbachmann/cel-js', exactly(LAZY)],
    dts: false,
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    esbuildPlugins: [lazyExternals(LAZY)],
  },
]);
