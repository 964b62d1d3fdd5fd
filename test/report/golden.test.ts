import { describe, expect, it } from 'vitest';
import { formatChanges, formatPlan, formatReport, type ReportFormat } from '../../src/report/index.js';
import { allowReport, bigPlan, blockReport, warnReport } from './fixtures.js';

// Golden files were written from the implementation once and reviewed by eye; comparisons are exact.
const FORMATS: Array<[ReportFormat, string]> = [
  ['text', 'txt'],
  ['json', 'json'],
  ['markdown', 'md'],
  ['sarif', 'sarif'],
  ['github', 'github.txt'],
];
const REPORTS = { block: blockReport, warn: warnReport, allow: allowReport };

describe('golden reports', () => {
  for (const [name, make] of Object.entries(REPORTS)) {
    for (const [format, ext] of FORMATS) {
      it(`${name} report as ${format}`, async () => {
        const out = formatReport(make(), format, { toolVersion: '1.2.3' });
        await expect(out).toMatchFileSnapshot(`./golden/${name}.${ext}`);
      });
    }
  }

  it('block report as coloured text', async () => {
    await expect(formatReport(blockReport(), 'text', { color: true })).toMatchFileSnapshot('./golden/block.color.txt');
  });

  it('sarif and github with baseDir', async () => {
    const r = blockReport();
    r.findings[0]!.location!.file = '/home/ci/repo/configs/edge.yaml';
    r.files.proposed = '/home/ci/repo/configs/edge.yaml';
    await expect(formatReport(r, 'github', { baseDir: '/home/ci/repo' })).toMatchFileSnapshot('./golden/block.basedir.github.txt');
    const sarif = JSON.parse(formatReport(r, 'sarif', { baseDir: '/home/ci/repo/' }));
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('configs/edge.yaml');
  });
});

describe('golden changes and plans', () => {
  it('changes as text and json', async () => {
    await expect(formatChanges(blockReport().changes, 'text')).toMatchFileSnapshot('./golden/changes.txt');
    await expect(formatChanges(warnReport().changes, 'json')).toMatchFileSnapshot('./golden/changes.json');
  });

  it('plan as text and json', async () => {
    await expect(formatPlan(bigPlan(), 'text')).toMatchFileSnapshot('./golden/plan.txt');
    await expect(formatPlan(bigPlan(), 'json')).toMatchFileSnapshot('./golden/plan.json');
  });
});
