// esbuild plugin (used by tsup.config.ts for the CLI bundle only): external packages required on first use instead
// of at start-up. A plain `confgate check` of a JSON file never touches yaml, ajv, rrule, ... yet requiring them all
// cost the CLI about 100 ms of CPU at every start (BENCHMARKS.md, session 21).
//
// Mechanism: an import of a listed package resolves to a small generated CommonJS module instead of the package:
//
//   module.exports = lazy(() => require("yaml"), ["Composer", "Document", ...]);
//
// `lazy` returns a placeholder: an object without own properties whose prototype (`shared`) has one enumerable
// getter per own property name of the real module, read here at build time. The first read of any of them requires
// the real module and turns every getter into a read-only data property holding the module's value. A name absent at
// build time falls through to the next prototype, a Proxy with only a `get` trap, and is read from the real module
// too: it costs a load, never a wrong `undefined`.
//
// Why this shape: esbuild's CommonJS output reads an import at every use site (`import_yaml.parseDocument(...)`,
// `x instanceof import_yaml.Scalar`) through `import_yaml = __toESM(require_yaml(), 1)`, which creates an object
// with the module's prototype, copies the module's *own* properties as getters of its own (reading nothing) and sets
// `default` to the module. So the placeholder stays lazy through it, and having no own properties, every such object
// reads the names straight from `shared`. Measured on keys-100k.yaml (the YAML event loop reads `EVENT_ID.SCALAR`
// and the like per event; BENCHMARKS.md session 21): with a getter call at every read, about 100 ms of CPU more than
// an eager require (15 alternating runs: 740 against 640 ms); with the getters replaced one name at a time, on first
// read, V8 kept js-yaml's `shared` a slow dictionary object (`%HasFastProperties`), 661 ms; all at once, 654 ms.
//
// Limits:
// - Only property reads are lazy. The placeholder is a plain object: a package whose module is itself used as a
//   value — called, `new`-ed, compared, `typeof` — would not work through it (ajv-formats' module is a function:
//   src/validate/ajv.ts reads its `default` property). `Object.keys` sees no names; `in` and for-in the build-time
//   names.
// - Read-only: assigning a property through it throws (the bundle is strict). Every name is read from the real module
//   once, when it loads, like Node's named imports of a CommonJS module: later changes to the module are not seen.
// - A module-level statement that reads a name (`const { RRule } = rrulePkg`, `class X extends Scalar`) still loads
//   the package at start-up: such reads belong inside functions. test/cli/lazy-externals.test.ts checks that
//   `confgate check` of a JSON file loads none of the listed packages.
// - Names are taken from the package installed at build time; a later version's new exports are reached through the
//   fallback.
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The packages the CLI bundle requires on first use (tsup.config.ts; test/cli/lazy-externals.test.ts checks each):
 * a `check` of a JSON config needs none of them, and requiring them all cost about 100 ms of CPU at every start.
 */
export const CLI_LAZY_PACKAGES = [
  'yaml', 'js-yaml', 'ajv', 'ajv/dist/2019.js', 'ajv/dist/2020.js', 'ajv-formats', 'ical.js', 'croner', 'rrule', 'semver',
  're2js', 'json-diff-ts',
];

const WRAPPER = 'lazy-external';
const HELPER = 'lazy-externals-helper';
const HELPER_ID = 'lazy-externals:helper';

const HELPER_SOURCE = `module.exports = function lazy(load, names) {
  let real;
  const get = () => {
    if (real === undefined) {
      real = load();
      for (const key of names) {
        Object.defineProperty(shared, key, { value: real[key], enumerable: true, configurable: false, writable: false });
      }
    }
    return real;
  };
  const shared = Object.create(new Proxy({}, { get: (_, key) => get()[key] }));
  for (const key of names) Object.defineProperty(shared, key, { enumerable: true, configurable: true, get: () => get()[key] });
  return Object.create(shared);
};
`;

/** The import specifiers in `packages`, exactly: tsup marks every dependency external before any plugin of ours runs,
 * so these must also be in `noExternal` for the plugin to see them. */
export function exactly(packages) {
  return new RegExp(`^(${packages.map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
}

/** @param {readonly string[]} packages import specifiers (`ajv`, `ajv/dist/2020.js`) to load on first use */
export function lazyExternals(packages) {
  const filter = exactly(packages);
  return {
    name: 'lazy-externals',
    setup(build) {
      const seen = new Set();
      build.onResolve({ filter: /^lazy-externals:helper$/ }, () => ({ path: HELPER_ID, namespace: HELPER }));
      // The wrapper's own `require("<pkg>")` is the real package, left external.
      build.onResolve({ filter: /.*/, namespace: WRAPPER }, (args) => ({ path: args.path, external: true }));
      build.onResolve({ filter }, (args) => ({ path: args.path, namespace: WRAPPER, pluginData: { resolveDir: args.resolveDir } }));
      build.onLoad({ filter: /.*/, namespace: HELPER }, () => ({ contents: HELPER_SOURCE, loader: 'js' }));
      build.onLoad({ filter: /.*/, namespace: WRAPPER }, (args) => {
        seen.add(args.path);
        const real = createRequire(path.join(args.pluginData.resolveDir, 'index.js'))(args.path);
        const names = Object.getOwnPropertyNames(real);
        const id = JSON.stringify(args.path);
        return {
          contents: `module.exports = require(${JSON.stringify(HELPER_ID)})(() => require(${id}), ${JSON.stringify(names)});\n`,
          loader: 'js',
        };
      });
      // A listed package that never reached this plugin was resolved by another one first (or is no longer imported).
      build.onEnd((result) => {
        const missed = packages.filter((p) => !seen.has(p));
        if (result.errors.length === 0 && missed.length > 0) {
          throw new Error(`lazy-externals: ${missed.join(', ')} never reached the plugin (not imported, or made external by another plugin first: add to noExternal)`);
        }
      });
    },
  };
}
