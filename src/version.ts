/** The package version (read from package.json at build time; bundled). */
export { PACKAGE_VERSION as VERSION } from './report/version.js';
