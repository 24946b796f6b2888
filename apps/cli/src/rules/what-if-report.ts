/**
 * The what-if report (GET /analytics/rules/compare) as text tables: what the
 * funnel, the channels, conversion, attribution and individual leads would look
 * like under a candidate rule set next to the base one. Pure formatting: money
 * stays an exact decimal string end to end, differences are computed on
 * integers scaled by the decimals, never on floats.
 */
import type { StageCounts, WhatIfReport } from './rules-contract';
import { shortHash } from './replay-progress';
import { renderTable } from '../text-table';

export interface ReportLabels {
  readonly base: string;
  readonly candidate: string;
}

const sampleSize = 10;

export function formatWhatIfReport(
  report: WhatIfReport,
  labels: ReportLabels = { base: 'active', candidate: 'draft' },
): string[] {
  const base = `${labels.base} v${report.base.rulesVersion}`;
  const candidate = `${labels.candidate} v${report.candidate.rulesVersion}`;
  const describe = (label: string, set: WhatIfReport['base']) =>
    `${label} "${set.name}" (v${set.rulesVersion}, sha ${shortHash(set.definitionHash)})`;
  const lines = [
    `WHAT-IF: ${describe(labels.candidate, report.candidate)} against ${describe(labels.base, report.base)}`,
    '',
    ...stagesTable(report, base, candidate),
    '',
    ...channelsTable(report, base, candidate),
    '',
    ...renderTable(
      'MQL → SQL CONVERSION',
      [report.mqlToSql],
      [
        { header: base, value: (r) => percent(r.base) },
        { header: candidate, value: (r) => percent(r.candidate) },
        { header: 'difference', value: (r) => percentPoints(r.base, r.candidate) },
      ],
    ),
    '',
    ...attributionTable(report, base, candidate),
    '',
    ...changedLeads(report, base, candidate),
  ];
  // Left-aligned last columns are padded; trailing blanks only clutter logs and diffs.
  return lines.map((line) => line.trimEnd());
}

function stagesTable(report: WhatIfReport, base: string, candidate: string): string[] {
  return renderTable(
    'FUNNEL, MARKETING PATH (leads that reached each stage; sales-sourced leads are the same under every set)',
    report.stages,
    [
      { header: 'stage', value: (r) => r.stage, align: 'left' },
      { header: base, value: (r) => r.base },
      { header: candidate, value: (r) => r.candidate },
      { header: 'difference', value: (r) => signed(r.candidate - r.base) },
    ],
  );
}

const metrics: readonly { key: keyof StageCounts; header: string }[] = [
  { key: 'leads', header: 'leads' },
  { key: 'mqls', header: 'MQL' },
  { key: 'sqls', header: 'SQL' },
  { key: 'opportunities', header: 'opps' },
  { key: 'won', header: 'won' },
];

/** Only the rows a rule change moves; the totals line covers all of them. */
function channelsTable(report: WhatIfReport, base: string, candidate: string): string[] {
  const differs = (row: { base: StageCounts; candidate: StageCounts }) =>
    metrics.some(({ key }) => row.base[key] !== row.candidate[key]);
  const changed = report.byChannel.filter(differs);
  const equal = report.byChannel.length - changed.length;
  const total = (side: 'base' | 'candidate') =>
    Object.fromEntries(
      metrics.map(({ key }) => [
        key,
        report.byChannel.reduce((sum, row) => sum + row[side][key], 0),
      ]),
    ) as unknown as StageCounts;
  const rows = [
    ...changed.map((row) => ({ ...row, label: `${row.channel} / ${row.campaign || '-'}` })),
    { label: 'TOTAL (all rows)', base: total('base'), candidate: total('candidate') },
  ];
  const title =
    changed.length === 0
      ? `BY CHANNEL / CAMPAIGN (${base} → ${candidate}): all ${equal} rows equal`
      : `BY CHANNEL / CAMPAIGN (${base} → ${candidate}): ${changed.length} rows differ, ${equal} equal rows not shown`;
  return renderTable(title, rows, [
    { header: 'channel / campaign', value: (r) => r.label, align: 'left' },
    ...metrics.map(({ key, header }) => ({
      header,
      value: (r: (typeof rows)[number]) =>
        r.base[key] === r.candidate[key]
          ? count(r.base[key])
          : `${count(r.base[key])} → ${count(r.candidate[key])}`,
    })),
  ]);
}

function attributionTable(report: WhatIfReport, base: string, candidate: string): string[] {
  const { base: b, candidate: c } = report.attribution;
  const rows = (['pipeline', 'revenue'] as const).flatMap((measure) =>
    [...new Set([...Object.keys(b[measure]), ...Object.keys(c[measure])])]
      .sort()
      .map((currency) => ({
        measure,
        currency,
        base: b[measure][currency] ?? null,
        candidate: c[measure][currency] ?? null,
      })),
  );
  const title = `ATTRIBUTED PIPELINE AND REVENUE (${base}: ${b.model} model, ${candidate}: ${c.model} model)`;
  if (rows.length === 0) return [title, '-'.repeat(title.length), 'no attributed amounts'];
  return renderTable(title, rows, [
    { header: 'measure', value: (r) => r.measure, align: 'left' },
    { header: 'currency', value: (r) => r.currency, align: 'left' },
    { header: base, value: (r) => (r.base === null ? null : groupDecimal(r.base)) },
    { header: candidate, value: (r) => (r.candidate === null ? null : groupDecimal(r.candidate)) },
    { header: 'difference', value: (r) => decimalDifference(r.base ?? '0', r.candidate ?? '0') },
  ]);
}

function changedLeads(report: WhatIfReport, base: string, candidate: string): string[] {
  const { count: changed, becameMql, lostMql, sample } = report.changedLeads;
  if (changed === 0) return ['CHANGED LEADS: none, every lead gets the same MQL decision'];
  const shown = sample.slice(0, sampleSize);
  const decision = (mql: boolean, score: number | null) =>
    `${mql ? 'MQL' : 'not MQL'}, score ${score === null ? '-' : count(score)}`;
  return [
    ...renderTable(
      `CHANGED LEADS: ${count(changed)} (${count(becameMql)} became MQL, ${count(lostMql)} lost MQL)`,
      shown,
      [
        { header: 'lead', value: (r) => r.leadId, align: 'left' },
        { header: base, value: (r) => decision(r.base, r.baseScore), align: 'left' },
        { header: candidate, value: (r) => decision(r.candidate, r.candidateScore), align: 'left' },
      ],
    ),
    ...(changed > shown.length ? [`showing ${shown.length} of ${count(changed)}`] : []),
  ];
}

const count = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });
const signed = (n: number) => (n > 0 ? `+${count(n)}` : count(n));
const percent = (rate: number | null) => (rate === null ? null : `${(rate * 100).toFixed(1)} %`);

function percentPoints(base: number | null, candidate: number | null): string | null {
  if (base === null || candidate === null) return null;
  const points = (candidate - base) * 100;
  return `${points > 0 ? '+' : ''}${points.toFixed(1)} pts`;
}

/** "1234567.50" → "1,234,567.50"; anything that is not a plain decimal is shown as it came. */
export function groupDecimal(text: string): string {
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(text);
  if (!match) return text;
  const [, sign = '', whole = '', fraction = ''] = match;
  return `${sign}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction}`;
}

/** candidate − base for two exact decimal strings, signed and grouped; "?" if either is not one. */
export function decimalDifference(base: string, candidate: string): string {
  const a = parseDecimal(base);
  const b = parseDecimal(candidate);
  if (a === null || b === null) return '?';
  const scale = Math.max(a.scale, b.scale);
  const units = b.units * 10n ** BigInt(scale - b.scale) - a.units * 10n ** BigInt(scale - a.scale);
  if (units === 0n) return '0';
  const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, '0');
  const text =
    scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(digits.length - scale)}`;
  return `${units < 0n ? '-' : '+'}${groupDecimal(text)}`;
}

function parseDecimal(text: string): { units: bigint; scale: number } | null {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return null;
  const [, sign = '', whole = '', fraction = ''] = match;
  const units = BigInt(`${whole}${fraction}`);
  return { units: sign === '-' ? -units : units, scale: fraction.length };
}
