/**
 * The SARIF 2.1.0 shapes confgate produces, owned here so that the published types do not depend on `@types/sarif`
 * (a dev dependency: a consumer compiling without `skipLibCheck` could not resolve it). A structural subset of the
 * OASIS SARIF 2.1.0 schema; the output is validated against the official schema in the tests.
 */

/** Arbitrary extra data (SARIF `propertyBag`). */
export type SarifPropertyBag = Record<string, unknown>;

/** SARIF `message`. */
export interface SarifMessage {
  text: string;
}

/** SARIF `result.level`. */
export type SarifLevel = 'none' | 'note' | 'warning' | 'error';

/** SARIF `reportingDescriptor`: one rule of the catalog. */
export interface SarifReportingDescriptor {
  id: string;
  name?: string;
  shortDescription?: SarifMessage;
  fullDescription?: SarifMessage;
  help?: SarifMessage;
  defaultConfiguration?: { level?: SarifLevel };
  properties?: SarifPropertyBag;
}

/** SARIF `region` (1-based line and column). */
export interface SarifRegion {
  startLine?: number;
  startColumn?: number;
}

/** SARIF `location`: a file position and/or a logical location (a JSON Pointer in the config). */
export interface SarifLocation {
  physicalLocation?: { artifactLocation: { uri: string }; region?: SarifRegion };
  logicalLocations?: Array<{ fullyQualifiedName: string; kind?: string }>;
}

/** SARIF `result`: one finding. */
export interface SarifResult {
  ruleId: string;
  ruleIndex?: number;
  level?: SarifLevel;
  message: SarifMessage;
  locations?: SarifLocation[];
  partialFingerprints?: Record<string, string>;
  properties?: SarifPropertyBag;
}

/** SARIF `run`. */
export interface SarifRun {
  tool: { driver: { name: string; informationUri?: string; version?: string; rules?: SarifReportingDescriptor[] } };
  results: SarifResult[];
  properties?: SarifPropertyBag;
}

/** A SARIF 2.1.0 log as produced by `toSarif`. */
export interface SarifLog {
  $schema?: string;
  version: '2.1.0';
  runs: SarifRun[];
}
