/**
 * Delivering a config set to a command hook as one unit: the members written into a private folder
 * (`CONFGATE_CONFIG_DIR`), each under its relative path, folders 0700 and files 0600, created exclusively.
 *
 * What is written is what the gate validated: each member's parsed value, serialised again (JSON for `.json`,
 * YAML for `.yaml`/`.yml`), so comments and formatting of the source files are not kept. A set value that is not a
 * map of relative paths is refused (the hook fails) rather than written somewhere unexpected.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify as yamlStringify } from 'yaml';
import { memberNameProblem } from '../load/set.js';

/** Writes the set `{ "<relative path>": value }` below `dir` (which must exist and be private); returns `dir`. */
export async function writeConfigSetDir(dir: string, config: unknown): Promise<string> {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new Error(`a config set must be a map of relative paths to documents, got ${Array.isArray(config) ? 'a list' : config === null ? 'null' : typeof config}`);
  }
  for (const rel of Object.keys(config).sort()) {
    const why = memberNameProblem(rel);
    if (why !== undefined) throw new Error(`config set member ${JSON.stringify(rel)} ${why}`);
    const value = (config as Record<string, unknown>)[rel];
    const file = path.join(dir, ...rel.split('/'));
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const lower = rel.toLowerCase();
    const text = lower.endsWith('.yaml') || lower.endsWith('.yml') ? yamlStringify(value, { aliasDuplicateObjects: false }) : `${JSON.stringify(value, null, 2)}\n`;
    await writeFile(file, text, { mode: 0o600, flag: 'wx' });
  }
  return dir;
}
