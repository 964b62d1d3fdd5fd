// Floor of the CLI cold-start benchmark: a node process that only imports confgate's runtime dependencies
// (the same modules dist/cli/bin.cjs loads) and exits.
import 'ajv';
import 'ajv/dist/2019.js';
import 'ajv/dist/2020.js';
import 'ajv-formats';
import 'json-diff-ts';
import 'semver';
import 'yaml';
import 'p-limit';
import 'croner';
import 'ical.js';
import '@marcbachmann/cel-js';
