import type { StageCounts, WhatIfReport } from './rules-contract';
import { decimalDifference, formatWhatIfReport, groupDecimal } from './what-if-report';

const counts = (leads: number, mqls: number, sqls: number, opportunities = 0, won = 0) =>
  ({ leads, mqls, sqls, opportunities, won }) satisfies StageCounts;

export const sampleReport: WhatIfReport = {
  base: { rulesVersion: 2, definitionHash: 'sha256:aaaabbbbccccdddd0000', name: 'Default B2B' },
  candidate: {
    rulesVersion: 3,
    definitionHash: 'sha256:1a2b3c4d5e6f7a8b9999',
    name: 'Stricter MQL',
  },
  stages: [
    { stage: 'captured', base: 2000, candidate: 2000 },
    { stage: 'mql', base: 1210, candidate: 1088 },
    { stage: 'sql', base: 402, candidate: 415 },
    { stage: 'won', base: 61, candidate: 61 },
  ],
  byChannel: [
    {
      channel: 'paid_search',
      campaign: 'q1-brand',
      base: counts(500, 300, 90, 40, 12),
      candidate: counts(500, 260, 92, 40, 12),
    },
    {
      channel: 'webinar',
      campaign: '',
      base: counts(300, 200, 80, 30, 9),
      candidate: counts(300, 200, 80, 30, 9),
    },
    {
      channel: 'events',
      campaign: 'fair-milan',
      base: counts(1200, 710, 232, 90, 40),
      candidate: counts(1200, 628, 243, 90, 40),
    },
  ],
  mqlToSql: { base: 0.3322, candidate: 0.3814 },
  attribution: {
    base: {
      model: 'linear',
      pipeline: { EUR: '1234567.50', USD: '90000' },
      revenue: { EUR: '410000.00' },
    },
    candidate: {
      model: 'w_shaped',
      pipeline: { EUR: '1240000.25', USD: '90000' },
      revenue: { EUR: '405999.99', GBP: '1200.00' },
    },
  },
  changedLeads: {
    count: 14,
    becameMql: 3,
    lostMql: 11,
    sample: Array.from({ length: 12 }, (_, i) => ({
      leadId: `lead-${String(i + 1).padStart(2, '0')}`,
      base: i >= 3,
      candidate: i < 3,
      baseScore: i === 0 ? null : 60 + i,
      candidateScore: 55 + i,
    })),
  },
};

describe('formatWhatIfReport', () => {
  const text = formatWhatIfReport(sampleReport).join('\n');
  const section = (title: string) => {
    const lines = text.split('\n');
    const start = lines.findIndex((line) => line.startsWith(title));
    const end = lines.findIndex((line, i) => i > start && line === '');
    return lines.slice(start, end === -1 ? undefined : end);
  };

  it('names both rule sets by version, name and short hash', () => {
    expect(text.split('\n')[0]).toBe(
      'WHAT-IF: draft "Stricter MQL" (v3, sha 1a2b3c4d5e6f7a8b) against active "Default B2B" (v2, sha aaaabbbbccccdddd)',
    );
  });

  it('puts stage counts side by side with the signed difference', () => {
    expect(section('FUNNEL')).toEqual([
      'FUNNEL, MARKETING PATH (leads that reached each stage; sales-sourced leads are the same under every set)',
      '-----------------------------------------',
      'stage     active v2  draft v3  difference',
      'captured      2,000     2,000           0',
      'mql           1,210     1,088        -122',
      'sql             402       415         +13',
      'won              61        61           0',
    ]);
  });

  it('shows only the channel rows that differ, counts the equal ones, and totals all', () => {
    const lines = section('BY CHANNEL');
    expect(lines[0]).toBe(
      'BY CHANNEL / CAMPAIGN (active v2 → draft v3): 2 rows differ, 1 equal rows not shown',
    );
    expect(lines.some((line) => line.includes('webinar'))).toBe(false);
    expect(lines.find((line) => line.startsWith('paid_search'))).toMatch(
      /^paid_search \/ q1-brand\s+500\s+300 → 260\s+90 → 92\s+40\s+12$/,
    );
    expect(lines.at(-1)).toMatch(
      /^TOTAL \(all rows\)\s+2,000\s+1,210 → 1,088\s+402 → 415\s+160\s+61$/,
    );
  });

  it('says so when no channel row differs', () => {
    const same = { ...sampleReport, byChannel: [sampleReport.byChannel[1]!] };
    expect(formatWhatIfReport(same).join('\n')).toMatch(
      /BY CHANNEL \/ CAMPAIGN \(active v2 → draft v3\): all 1 rows equal/,
    );
  });

  it('gives MQL → SQL conversion as percentages and the change in points', () => {
    expect(section('MQL → SQL')).toEqual([
      'MQL → SQL CONVERSION',
      '-------------------------------',
      'active v2  draft v3  difference',
      '   33.2 %    38.1 %    +4.9 pts',
    ]);
  });

  it('lists attributed pipeline and revenue per currency with exact differences', () => {
    const lines = section('ATTRIBUTED');
    expect(lines[0]).toBe(
      'ATTRIBUTED PIPELINE AND REVENUE (active v2: linear model, draft v3: w_shaped model)',
    );
    expect(lines.slice(3)).toHaveLength(4);
    expect(lines[3]).toMatch(/^pipeline\s+EUR\s+1,234,567\.50\s+1,240,000\.25\s+\+5,432\.75$/);
    expect(lines[4]).toMatch(/^pipeline\s+USD\s+90,000\s+90,000\s+0$/);
    expect(lines[5]).toMatch(/^revenue\s+EUR\s+410,000\.00\s+405,999\.99\s+-4,000\.01$/);
    expect(lines[6]).toMatch(/^revenue\s+GBP\s+-\s+1,200\.00\s+\+1,200\.00$/);
  });

  it('counts changed leads and shows at most 10 of them with their scores', () => {
    const lines = section('CHANGED LEADS');
    expect(lines[0]).toBe('CHANGED LEADS: 14 (3 became MQL, 11 lost MQL)');
    expect(lines[3]).toMatch(/^lead-01\s+not MQL, score -\s+MQL, score 55$/);
    expect(lines[6]).toMatch(/^lead-04\s+MQL, score 63\s+not MQL, score 58$/);
    expect(lines.filter((line) => line.startsWith('lead-'))).toHaveLength(10);
    expect(lines.at(-1)).toBe('showing 10 of 14');
  });

  it('has nothing to list when no lead changes', () => {
    const none = {
      ...sampleReport,
      changedLeads: { count: 0, becameMql: 0, lostMql: 0, sample: [] },
    };
    expect(formatWhatIfReport(none).at(-1)).toBe(
      'CHANGED LEADS: none, every lead gets the same MQL decision',
    );
  });
});

describe('exact decimal amounts', () => {
  it('groups thousands without touching the decimals', () => {
    expect(groupDecimal('1234567.505')).toBe('1,234,567.505');
    expect(groupDecimal('-999')).toBe('-999');
    expect(groupDecimal('n/a')).toBe('n/a');
  });

  it('subtracts on scaled integers, so no float rounding creeps in', () => {
    expect(decimalDifference('0.1', '0.3')).toBe('+0.2');
    expect(decimalDifference('10.005', '9.99')).toBe('-0.015');
    expect(decimalDifference('99999999999999999.99', '100000000000000000.00')).toBe('+0.01');
    expect(decimalDifference('5', '5.00')).toBe('0');
    expect(decimalDifference('1', 'x')).toBe('?');
  });
});
