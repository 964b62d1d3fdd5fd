/** Maintenance, freeze and allow windows: recurrence, time zones, imports and gate findings. */
export { checkWindow, occurrencesBetween, activeAt, listWindows, targetsUnderMaintenance, MAX_WINDOWS, MAX_TOTAL_OCCURRENCES } from './query.js';
export type { WindowListing } from './query.js';
export { windowFindings } from './findings.js';
export type { WindowFindingsInput } from './findings.js';
export { importStatuspage, componentCode } from './import-statuspage.js';
export type { StatuspageImportOptions } from './import-statuspage.js';
export { importICal } from './import-ical.js';
export type { ICalImportOptions } from './import-ical.js';
