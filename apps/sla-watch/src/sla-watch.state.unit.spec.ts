import type { TandemEnvelope, TandemEvent } from '@tandem/contracts';
import { defaultFunnelDefinition, definitionHash } from '@tandem/domain';
import {
  due,
  evolveSlaWatch,
  handOffNotice,
  initialSlaWatch,
  type SlaWatch,
} from './sla-watch.state';

let sequence = 0;
function recorded(leadId: string | null, event: TandemEvent, occurredAt = '2026-03-02T08:00:00Z') {
  sequence++;
  return {
    eventId: `evt-${sequence}`,
    schemaVersion: 1,
    leadId,
    accountId: null,
    occurredAt,
    recordedAt: occurredAt,
    correlationId: `corr-${sequence}`,
    causationId: null,
    actor: { kind: 'service', id: 'test', role: 'system' },
    streamId: leadId ? `lead-${leadId}` : 'targets',
    streamRevision: sequence,
    globalPosition: String(sequence),
    ...event,
  } as TandemEnvelope;
}

const handedToSales = (leadId: string, slaDueAt: string, owner = 'lena') =>
  recorded(leadId, {
    type: 'LeadHandedToSales',
    data: { owner, team: 'emea', slaDueAt, rulesVersion: 1 },
  });
const accepted = (leadId: string) =>
  recorded(leadId, { type: 'LeadAcceptedBySales', data: { owner: 'lena', note: null } });
const rejected = (leadId: string) =>
  recorded(leadId, {
    type: 'LeadRejectedBySales',
    data: { owner: 'lena', reason: 'no budget', note: null },
  });
const recycled = (leadId: string) =>
  recorded(leadId, { type: 'LeadRecycled', data: { from: 'sales_ready', reason: 'stale' } });
const erased = (leadId: string) =>
  recorded(leadId, { type: 'LeadErased', data: { reason: 'gdpr request' } });
const merged = (leadId: string) =>
  recorded(leadId, { type: 'LeadMerged', data: { intoLeadId: 'lead-x' } });

const profile = {
  industry: 'software',
  companySize: 300,
  country: 'DE',
  role: 'cro',
  budget: null,
  timeline: null,
};

const given = (...events: TandemEnvelope[]): SlaWatch =>
  events.reduce(evolveSlaWatch, initialSlaWatch());
const at = (iso: string) => Date.parse(iso);

describe('SlaWatch fold', () => {
  it('given nothing, when a lead is handed to sales, then its hand-off is pending', () => {
    const state = given(handedToSales('a', '2026-03-02T12:00:00Z'));
    expect(state.pending.get('a')).toEqual({
      leadId: 'a',
      owner: 'lena',
      team: 'emea',
      handedOffAt: '2026-03-02T08:00:00Z',
      slaDueAt: '2026-03-02T12:00:00Z',
    });
  });

  it.each([
    ['accepted', accepted],
    ['rejected', rejected],
    ['recycled', recycled],
    ['erased', erased],
    ['merged', merged],
  ])('given a pending hand-off, when the lead is %s, then nothing is pending', (_, event) => {
    const state = given(handedToSales('a', '2026-03-02T12:00:00Z'), event('a'));
    expect(state.pending.size).toBe(0);
  });

  it('given a recycled lead, when it is handed over again, then the new SLA replaces the old', () => {
    const state = given(
      handedToSales('a', '2026-03-02T12:00:00Z', 'lena'),
      recycled('a'),
      handedToSales('a', '2026-03-09T12:00:00Z', 'omar'),
    );
    expect(state.pending.get('a')).toMatchObject({
      owner: 'omar',
      slaDueAt: '2026-03-09T12:00:00Z',
    });
  });

  it('given two hand-offs, when one lead is accepted, then the other stays pending', () => {
    const state = given(
      handedToSales('a', '2026-03-02T12:00:00Z'),
      handedToSales('b', '2026-03-02T13:00:00Z'),
      accepted('a'),
    );
    expect([...state.pending.keys()]).toEqual(['b']);
  });

  it('given any state, when an event ends nothing, then the state is returned unchanged', () => {
    const before = given(handedToSales('a', '2026-03-02T12:00:00Z'));
    const after = evolveSlaWatch(before, recorded('a', { type: 'LeadProfiled', data: profile }));
    expect(after).toBe(before);
    expect(evolveSlaWatch(before, accepted('unknown-lead'))).toBe(before);
  });

  it('given a pending hand-off, when another SLA is published and activated, then its deadline stays', () => {
    const before = given(handedToSales('a', '2026-03-02T12:00:00Z'));
    const definition = { ...defaultFunnelDefinition, version: 2, sla: { acceptWithinHours: 2 } };
    const after = given(
      handedToSales('a', '2026-03-02T12:00:00Z'),
      recorded(null, { type: 'FunnelDefinitionPublished', data: { version: 2, definition } }),
      recorded(null, {
        type: 'FunnelDefinitionActivated',
        data: { version: 2, definitionHash: definitionHash(definition), previousVersion: 1 },
      }),
    );
    expect(after).toEqual(before);
  });

  it('given a hand-off, when its event is folded twice (redelivery), then the state is the same', () => {
    const handOff = handedToSales('a', '2026-03-02T12:00:00Z');
    expect(given(handOff, handOff)).toEqual(given(handOff));
  });
});

describe('due(state, now)', () => {
  const state = given(
    handedToSales('late', '2026-03-02T10:00:00Z'),
    handedToSales('later', '2026-03-02T11:00:00Z'),
    handedToSales('in-time', '2026-03-02T10:30:00Z'),
    accepted('in-time'),
    handedToSales('future', '2026-03-03T10:00:00Z'),
  );

  it('given pending hand-offs, when the clock passes their SLA, then each is escalated once, oldest first', () => {
    expect(due(state, at('2026-03-02T12:00:00Z'))).toEqual([
      expect.objectContaining({
        kind: 'sla-missed',
        leadId: 'late',
        key: 'late:2026-03-02T10:00:00Z',
      }),
      expect.objectContaining({
        kind: 'sla-missed',
        leadId: 'later',
        key: 'later:2026-03-02T11:00:00Z',
      }),
    ]);
  });

  it('given an SLA due exactly now, then it is missed', () => {
    expect(due(state, at('2026-03-02T10:00:00Z')).map((e) => e.leadId)).toEqual(['late']);
  });

  it('given no SLA has passed, then nothing is due', () => {
    expect(due(state, at('2026-03-02T09:59:59Z'))).toEqual([]);
  });

  it('given the same state and instant, then the escalation keys are the same (idempotent delivery)', () => {
    const now = at('2026-03-02T12:00:00Z');
    expect(due(state, now).map((e) => e.key)).toEqual(due(state, now).map((e) => e.key));
  });
});

describe('handOffNotice', () => {
  it('given a hand-off, then the notice is keyed by its event id and carries no contact data', () => {
    const event = handedToSales('a', '2026-03-02T12:00:00Z');
    expect(handOffNotice(event)).toEqual({
      kind: 'hand-off',
      key: event.eventId,
      leadId: 'a',
      owner: 'lena',
      team: 'emea',
      handedOffAt: '2026-03-02T08:00:00Z',
      slaDueAt: '2026-03-02T12:00:00Z',
    });
  });

  it('given any other event, then no notice is owed', () => {
    expect(handOffNotice(accepted('a'))).toBeNull();
  });
});
