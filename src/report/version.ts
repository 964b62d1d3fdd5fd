/** The package version, for SARIF `tool.driver.version`. */
import pkg from '../../package.json' with { type: 'json' };

const v: unknown = (pkg as { version?: unknown }).version;

/** The version from package.json, or `0.0.0` when it is missing. */
export const PACKAGE_VERSION: string = typeof v === 'string' && v !== '' ? v : '0.0.0';
