import type { FullReconciliation } from '@tandem/analytics';
import { reconciliationReport } from './reconcile.command';

const failed: FullReconciliation = {
  ok: false,
  checks: [{ metric: 'handed_to_sales', marketing: '304', sales: '304', events: '304', ok: true }],
  coveredPosition: '9001',
  settled: true,
  ruleSets: [
    {
      rulesVersion: 1,
      definitionHash: 'abc',
      kind: 'published',
      status: 'ready',
      checked: true,
      ok: false,
      requirements: [],
      stages: [
        { stage: 'mql', view: 302, events: 302 },
        { stage: 'handed_to_sales', view: 304, events: 304 },
      ],
      findings: [
        { check: 'monotonic', message: 'rules version 1 (sha abc): handed_to_sales 304 > mql 302' },
      ],
    },
    {
      rulesVersion: 2,
      definitionHash: 'def',
      kind: 'shadow',
      status: 'building',
      checked: false,
      ok: true,
      requirements: [],
      stages: [],
      findings: [],
    },
  ],
  findings: ['rules version 1 (sha abc): handed_to_sales 304 > mql 302'],
};

describe('reconciliationReport', () => {
  it('prints the lens checks, each rule set, every finding and the verdict', () => {
    expect(reconciliationReport(failed)).toEqual([
      'ok  handed_to_sales: marketing 304, sales 304, events 304',
      'BAD rules version 1 (sha abc, published): mql 302, handed_to_sales 304',
      '--  rules version 2 (sha def, shadow): not checked, building',
      '  - rules version 1 (sha abc): handed_to_sales 304 > mql 302',
      'NOT reconciled up to position 9001',
    ]);
  });
});
