/**
 * Vitest setup file: every test file gets its own file-store lock directory. The CLI's default scope comes from the
 * targets file's name (`targets:targets` for any `targets.json`) and the default lock directory is shared
 * (`<tmpdir>/confgate-locks`), which is what two pipelines on one host should see, but test files that run in
 * parallel would lock each other out. Processes a test spawns inherit the directory through the environment; a
 * test that sets `CONFGATE_LOCK_DIR` itself keeps its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const dir = mkdtempSync(path.join(tmpdir(), 'confgate-test-locks-'));
process.env.CONFGATE_LOCK_DIR = dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
