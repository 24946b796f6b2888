/**
 * A seeded population of leads whose MQL scores spread around the default threshold: varied
 * ideal-customer fit, touchpoints of every kind, live decisions recorded under version 1 the
 * way the write side takes them, and sales outcomes. For tests of rule replays that must find
 * leads on both sides of a changed threshold. Deterministic: the same seed, the same events
 * (ids included).
 *
 * With `visitors`, about half the leads were anonymous visitors first (ADR 0012): their
 * captures stitch one or two visitor ids whose touches (ad clicks, page views) came before the
 * capture, some after it, and now and then a browser shared with the lead before. Those touches
 * are drawn from a generator of their own, so everything else is the same as without them.
 */
import { encodeForStore, type TandemEvent } from '@tandem/contracts';
import {
  defaultFunnelDefinition,
  evaluateMql,
  evolveLead,
  initialLeadState,
  leadStreamId,
  touchpointKinds,
  visitorStreamId,
  type LeadEvent,
  type TouchpointKind,
} from '@tandem/domain';
import type { EventStore, EventToAppend } from '@tandem/event-store';
import { SeededRandom } from '../../apps/cli/src/demo/seeded-random';

export interface ScoredLead {
  readonly leadId: string;
  readonly channel: string;
  readonly campaign: string;
  /** The lead's story, in order, with business times: the raw events tests count from. */
  readonly story: readonly { readonly event: LeadEvent; readonly occurredAt: string }[];
  readonly events: EventToAppend[];
  /**
   * The visitor streams this lead brings (with `visitors`): each `visitor-<id>` stream once,
   * with the lead that stitched it first. Append them like the lead's own stream.
   */
  readonly visitorStreams: readonly VisitorStream[];
}

export interface VisitorStream {
  readonly streamId: string;
  readonly events: EventToAppend[];
}

export interface ScoredLeadOptions {
  /** Leads stitch anonymous visitors with touches before (and after) capture. */
  readonly visitors?: boolean;
}

/** The demo's seeded PRNG (mulberry32) as a function: the same seed, the same data. */
function random(seed: number): () => number {
  const rng = new SeededRandom(seed);
  return () => rng.next();
}

const pick = <T>(next: () => number, items: readonly T[]): T =>
  items[Math.floor(next() * items.length)]!;

const hex = (next: () => number, length: number) =>
  Array.from({ length }, () => Math.floor(next() * 16).toString(16)).join('');

const uuid = (next: () => number) =>
  `${hex(next, 8)}-${hex(next, 4)}-7${hex(next, 3)}-8${hex(next, 3)}-${hex(next, 12)}`;

export function scoredLeads(
  count: number,
  seed = 7,
  start = Date.UTC(2025, 9, 1),
  options: ScoredLeadOptions = {},
): ScoredLead[] {
  const next = random(seed);
  // A second stream for the visitors, from a hashed seed: mulberry32 streams whose seeds differ
  // by a little (seed ^ 0x5eed against another wave's seed + 7919·k) can be the same stream a
  // few thousand draws apart, which once gave two waves the same event ids.
  const visiting = random(Math.imul(seed ^ 0x5eed, 0x9e3779b1) ^ 0x7f4a7c15);
  /** Visitor ids of earlier leads: a browser now and then shared with the next lead. */
  const earlierVisitors: string[] = [];
  const leads: ScoredLead[] = [];
  for (let index = 0; index < count; index++) {
    const leadId = `lead-${String(index).padStart(5, '0')}-${hex(next, 6)}`;
    const channel = pick(next, ['paid_search', 'webinar', 'referral', 'trade_fair']);
    const campaign = pick(next, ['spring', 'autumn', 'always_on']);
    let clock = start + index * 3_600_000;
    const at = (minutes: number) => {
      clock += minutes * 60_000;
      return new Date(clock).toISOString();
    };
    const story: { event: LeadEvent; occurredAt: string }[] = [];
    story.push({
      occurredAt: at(0),
      event: {
        type: 'LeadCaptured',
        data: {
          contact: {
            name: `Lead ${index}`,
            email: `lead${index}@example.com`,
          },
          company: {
            name: `Company ${index}`,
            industry: pick(next, ['software', 'manufacturing', 'retail', 'healthcare', 'media']),
            size: Math.floor(next() * 3000),
            country: pick(next, ['IT', 'DE', 'US', 'BR', 'JP']),
          },
          source: { channel, campaign },
          productInterest: pick(next, ['lead_scoring', 'attribution', 'crm', 'funnel_analytics']),
          timeframe: next() < 0.9 ? '3_months' : null,
          consent: { marketing: true },
        },
      },
    });
    const visitors = options.visitors
      ? visitorsOf(visiting, index, clock, earlierVisitors)
      : { ids: [], streams: [] };
    if (visitors.ids.length > 0) {
      const capture = story[0]!.event;
      if (capture.type === 'LeadCaptured') {
        story[0] = {
          ...story[0]!,
          event: { ...capture, data: { ...capture.data, visitorIds: visitors.ids } },
        };
      }
    }
    if (next() < 0.6) {
      story.push({
        occurredAt: at(30),
        event: {
          type: 'LeadProfiled',
          data: {
            industry: null,
            companySize: null,
            country: null,
            role: pick(next, ['cmo', 'cro', 'intern', 'developer', 'ceo']),
            budget: null,
            timeline: null,
          },
        },
      });
    }
    const touches = Math.floor(next() * 5);
    for (let t = 0; t < touches; t++) {
      story.push({
        occurredAt: at(60 * (1 + Math.floor(next() * 48))),
        event: {
          type: 'TouchpointRecorded',
          data: {
            touchpointId: uuid(next),
            kind: pick(next, touchpointKinds),
            channel,
            campaign: next() < 0.5 ? campaign : null,
            content: null,
          },
        },
      });
    }
    // The live decision, as the write side takes it: the MQL rules of version 1, right now.
    let state = initialLeadState();
    for (const { event, occurredAt } of story) state = evolveLead(state, event, occurredAt);
    const decidedAt = at(5);
    const evaluation = evaluateMql(defaultFunnelDefinition, state.facts, decidedAt);
    if (evaluation.qualifies && next() < 0.9) {
      story.push({
        occurredAt: decidedAt,
        event: {
          type: 'LeadQualifiedAsMql',
          data: {
            rulesVersion: 1,
            fitScore: evaluation.fitScore,
            intentScore: evaluation.intentScore,
            score: evaluation.score,
            threshold: evaluation.threshold,
            reasons: evaluation.reasons,
          },
        },
      });
      if (next() < 0.8) {
        const owner = pick(next, ['ann', 'bob', 'cyd']);
        const handedAt = at(60);
        story.push({
          occurredAt: handedAt,
          event: {
            type: 'LeadHandedToSales',
            data: {
              owner,
              team: 'emea',
              slaDueAt: new Date(Date.parse(handedAt) + 24 * 3_600_000).toISOString(),
              rulesVersion: 1,
            },
          },
        });
        if (next() < 0.3) {
          story.push({
            occurredAt: at(60 * Math.floor(1 + next() * 40)),
            event: {
              type: 'LeadRejectedBySales',
              data: { owner, reason: 'no_budget', note: null },
            },
          });
        } else {
          story.push({
            occurredAt: at(60 * Math.floor(1 + next() * 40)),
            event: { type: 'LeadAcceptedBySales', data: { owner, note: null } },
          });
          if (next() < 0.6) {
            story.push({
              occurredAt: at(600),
              event: {
                type: 'LeadQualifiedAsSql',
                data: { criteriaMet: ['budget', 'need', 'timeline'], rulesVersion: 1 },
              },
            });
            const opportunityId = uuid(next);
            const amount = 1000 * (1 + Math.floor(next() * 50));
            story.push({
              occurredAt: at(600),
              event: {
                type: 'OpportunityOpened',
                data: { opportunityId, stage: 'discovery', amount, currency: 'EUR' },
              },
            });
            const outcome = next();
            if (outcome < 0.5) {
              story.push({
                occurredAt: at(6000),
                event: { type: 'DealWon', data: { opportunityId, amount, currency: 'EUR' } },
              });
            } else if (outcome < 0.8) {
              story.push({
                occurredAt: at(6000),
                event: {
                  type: 'DealLost',
                  data: { opportunityId, reason: 'price', note: null },
                },
              });
            }
          }
        }
      }
    }
    const events = story.map(({ event, occurredAt }) =>
      encodeForStore(event as TandemEvent, {
        eventId: uuid(next),
        leadId,
        accountId: null,
        occurredAt,
        correlationId: uuid(next),
        causationId: null,
        actor: { kind: 'system', id: 'rules-test', role: 'system' },
      }),
    );
    leads.push({ leadId, channel, campaign, story, events, visitorStreams: visitors.streams });
  }
  return leads;
}

/**
 * One lead's visitors: none for about half the leads, otherwise one or two ids, each with one
 * to three touches in the days before the capture at `capturedAt` and sometimes one after it;
 * one lead in ten also stitches an earlier lead's visitor (a shared browser, whose touches then
 * count for both, ADR 0012), whose stream is not repeated.
 */
function visitorsOf(
  next: () => number,
  index: number,
  capturedAt: number,
  earlier: string[],
): { ids: string[]; streams: VisitorStream[] } {
  if (next() < 0.5) return { ids: [], streams: [] };
  const ids: string[] = [];
  const streams: VisitorStream[] = [];
  const visitors = 1 + Math.floor(next() * 2);
  for (let v = 0; v < visitors; v++) {
    const visitorId = `v_${index}_${v}_${hex(next, 8)}`;
    ids.push(visitorId);
    const touches: { at: number; kind: TouchpointKind }[] = [];
    const before = 1 + Math.floor(next() * 3);
    for (let t = 0; t < before; t++) {
      touches.push({
        at: capturedAt - (1 + Math.floor(next() * 96)) * 3_600_000,
        kind: 'ad_click',
      });
    }
    if (next() < 0.3) touches.push({ at: capturedAt + 7_200_000, kind: 'page_view' });
    touches.sort((a, b) => a.at - b.at);
    streams.push({
      streamId: visitorStreamId(visitorId),
      events: touches.map(({ at, kind }) =>
        encodeForStore(
          {
            type: 'AnonymousTouchpointRecorded',
            data: {
              visitorId,
              touchpointId: uuid(next),
              kind,
              channel: pick(next, ['paid_social', 'display', 'organic_search']),
              campaign: next() < 0.6 ? pick(next, ['retargeting', 'brand']) : null,
            },
          },
          {
            eventId: uuid(next),
            leadId: null,
            accountId: null,
            occurredAt: new Date(at).toISOString(),
            correlationId: uuid(next),
            causationId: null,
            actor: { kind: 'system', id: 'rules-test', role: 'system' },
          },
        ),
      ),
    });
  }
  const shared = earlier.length > 0 && next() < 0.1 ? earlier[earlier.length - 1] : undefined;
  if (shared !== undefined && !ids.includes(shared)) ids.push(shared);
  earlier.push(...streams.map((stream) => stream.streamId.slice('visitor-'.length)));
  return { ids, streams };
}

/**
 * Appends the leads to the store as the API would have recorded them: each visitor's stream
 * once (leads may share a visitor), then each lead's stream.
 */
export async function appendScoredLeads(
  store: Pick<EventStore, 'append'>,
  leads: readonly ScoredLead[],
): Promise<void> {
  const appended = new Set<string>();
  for (const lead of leads) {
    for (const visitor of lead.visitorStreams) {
      if (appended.has(visitor.streamId)) continue;
      appended.add(visitor.streamId);
      await store.append(visitor.streamId, visitor.events, { expectedRevision: 'no_stream' });
    }
    await store.append(leadStreamId(lead.leadId), lead.events, { expectedRevision: 'no_stream' });
  }
}
