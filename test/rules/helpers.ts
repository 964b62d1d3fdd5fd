export { createGate, formatReport, loadPolicy, PolicyError, OptionsError } from '../../src/index.js';
import { REPORT_FORMATS } from '../../src/report/format.js';
export const REPORT_FORMATS_FOR_TESTS = REPORT_FORMATS;
