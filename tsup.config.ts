import { defineConfig } from 'tsup';

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
  {
    entry: { 'cli/bin': 'src/cli/bin.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
