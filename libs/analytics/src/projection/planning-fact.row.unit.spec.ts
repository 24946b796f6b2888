import type { Envelope, PlanningEvent } from '@tandem/domain';
import { decimalText, periodRange, toPlanningFactRow } from './planning-fact.row';
import { createEventLog, fixtureEventId } from '../testing/event-log.fixture';

const spend = (
  data: Partial<Extract<PlanningEvent, { type: 'CampaignSpendRecorded' }>['data']> = {},
): Envelope<PlanningEvent> =>
  createEventLog({ firstPosition: 7 }).planning('campaign-spring', {
    type: 'CampaignSpendRecorded',
    data: {
      campaign: 'spring',
      channel: 'paid_search',
      amount: 1500.25,
      currency: 'EUR',
      spentOn: '2025-01-05',
      ...data,
    },
  });

const target = (
  data: Partial<Extract<PlanningEvent, { type: 'TargetSet' }>['data']> = {},
): Envelope<PlanningEvent> =>
  createEventLog({ firstPosition: 9 }).planning('targets', {
    type: 'TargetSet',
    data: {
      team: 'sales',
      metric: 'won_revenue',
      period: '2025-Q1',
      value: 50000,
      owner: 'bob',
      ...data,
    },
  });

describe('toPlanningFactRow', () => {
  it('maps CampaignSpendRecorded to a campaign_spend row keyed by the event id', () => {
    expect(toPlanningFactRow(spend())).toEqual({
      kind: 'campaign_spend',
      row: {
        event_id: fixtureEventId(7),
        campaign: 'spring',
        channel: 'paid_search',
        amount: '1500.25',
        currency: 'EUR',
        spent_on: '2025-01-05',
        global_position: '7',
        recorded_at: '2025-01-06 09:07:00.000',
      },
    });
  });

  it('maps TargetSet to a targets row with the calendar range of its period', () => {
    expect(toPlanningFactRow(target())).toEqual({
      kind: 'target',
      row: {
        team: 'sales',
        metric: 'won_revenue',
        period: '2025-Q1',
        owner: 'bob',
        period_start: '2025-01-01',
        period_end: '2025-04-01',
        value: '50000',
        event_id: fixtureEventId(9),
        global_position: '9',
        recorded_at: '2025-01-06 09:09:00.000',
      },
    });
  });

  it('writes a team-wide target with owner ""', () => {
    const outcome = toPlanningFactRow(target({ owner: null, period: '2025-12' }));
    expect(outcome.kind === 'target' && outcome.row).toMatchObject({
      owner: '',
      period_start: '2025-12-01',
      period_end: '2026-01-01',
    });
  });

  it.each(['FunnelDefinitionPublished', 'FunnelDefinitionActivated'])(
    'skips %s: definitions are configuration, not numbers',
    (type) => {
      const envelope = { ...target(), type } as unknown as Envelope<PlanningEvent>;
      expect(toPlanningFactRow(envelope)).toMatchObject({ kind: 'skip' });
    },
  );

  it.each([
    ['an amount beyond four decimal places', spend({ amount: 0.00001 }), 'amount'],
    ['a non-finite amount', spend({ amount: Number.POSITIVE_INFINITY }), 'amount'],
    ['an impossible date', spend({ spentOn: '2025-02-30' }), 'spentOn'],
    ['a missing currency', spend({ currency: '' }), 'currency'],
    ['an unknown period form', target({ period: '2025-W03' }), 'period'],
    ['a value in exponent form', target({ value: 1e40 }), 'value'],
    ['a bad event id', { ...target(), eventId: 'nope' }, 'eventId'],
    ['a bad position', { ...spend(), globalPosition: '-1' }, 'globalPosition'],
  ])('reports %s as invalid', (_, envelope, field) => {
    const outcome = toPlanningFactRow(envelope);
    expect(outcome.kind).toBe('invalid');
    expect(outcome.kind === 'invalid' && outcome.reason).toContain(field);
  });
});

describe('decimalText', () => {
  it('keeps the exact text of a JSON number', () => {
    expect([1500, 3000.5, 0.1, -2.25, 0].map(decimalText)).toEqual([
      '1500',
      '3000.5',
      '0.1',
      '-2.25',
      '0',
    ]);
  });
});

describe('periodRange', () => {
  it.each([
    ['2025-01', '2025-01-01', '2025-02-01'],
    ['2025-Q4', '2025-10-01', '2026-01-01'],
    ['2024-Q2', '2024-04-01', '2024-07-01'],
  ])('%s covers [%s, %s)', (period, start, end) => {
    expect(periodRange(period)).toEqual({ start, end });
  });

  it('rejects anything else', () => {
    expect(['2025-13', '2025-Q5', '25-01', '2025'].map(periodRange)).toEqual([
      null,
      null,
      null,
      null,
    ]);
  });
});
