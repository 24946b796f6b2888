/**
 * A seeded, realistic history of a B2B company for the benchmarks, generated in chunks of
 * leads so memory stays flat at any size. It uses the demo's channels, campaigns and
 * vocabulary (apps/cli/src/demo/quarter-simulation.ts) over many months, with longer
 * journeys: more touchpoints, MQL decisions retried after more nurturing, recycling after a
 * rejection or a lost deal, a second round through sales, the odd merge and erasure.
 *
 * Every lead event is chosen by the domain's decider (authorize → decideLead → evolveLead)
 * under the definition in force, exactly as the API's command handler does, and enveloped
 * with `encodeForStore` as the API would (actor from the role, a correlation id per
 * request, no causation id). A command the decider refuses (an MQL below the threshold)
 * is simply not recorded, as a refused request would not be.
 *
 * Deterministic for a seed: ids are UUIDv7-shaped from business time and the seeded
 * stream; nothing reads the clock. The global order is by business time within a chunk
 * (leads captured in one window of the history); chunks follow each other in capture order.
 * It must never hold more than one chunk of events.
 */
import { encodeForStore, type TandemEvent } from '@tandem/contracts';
import {
  type Actor,
  authorize,
  campaignStreamId,
  decideLead,
  DomainError,
  evolveLead,
  type FunnelDefinition,
  initialLeadState,
  type LeadCommand,
  type LeadEvent,
  type LeadState,
  leadStreamId,
  type Role,
  TARGETS_STREAM,
  type TouchpointKind,
} from '@tandem/domain';
import type { BulkEvent } from '@tandem/event-store';
import {
  type ChannelProfile,
  channels,
  companySuffixes,
  companyWords,
  firstNames,
  icpCountries,
  icpIndustries,
  icpRoles,
  lastNames,
  otherCountries,
  otherIndustries,
  otherRoles,
  products,
  salesTeams,
  timeframes,
} from '../apps/cli/src/demo/quarter-simulation';
import { SeededRandom } from '../apps/cli/src/demo/seeded-random';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Measured mean of this generator (lead events per lead), to spread captures over the span. */
export const EVENTS_PER_LEAD = 21.5;

export interface HistoryOptions {
  readonly seed: number;
  /** Lead events to generate (planning events come on top: see `planningEvents`). */
  readonly leadEvents: number;
  /** Business time the history ends at; journeys still open then are cut there. */
  readonly until: Date;
  /** How far back captures start. */
  readonly months: number;
  /** Leads per chunk (one bulk append each). */
  readonly chunkLeads: number;
  /** The definition in force (what the API's decisions would use). */
  readonly definition: FunnelDefinition;
}

export interface HistoryChunk {
  readonly events: readonly BulkEvent[];
  readonly leads: number;
}

interface PendingEvent {
  readonly streamId: string;
  readonly event: TandemEvent;
  readonly at: number;
  readonly leadId: string | null;
  readonly accountId: string | null;
  readonly actor: Actor;
  readonly correlationId: string;
}

export function historyStart(options: Pick<HistoryOptions, 'until' | 'months'>): Date {
  const until = options.until;
  return new Date(
    Date.UTC(until.getUTCFullYear(), until.getUTCMonth() - options.months, until.getUTCDate()),
  );
}

/** Chunks of lead events, in global order, totalling exactly `leadEvents`. */
export function* historyChunks(options: HistoryOptions): Generator<HistoryChunk> {
  const random = new SeededRandom(options.seed);
  const ids = new SeededIds(random);
  const start = historyStart(options).getTime();
  const end = options.until.getTime();
  const estimatedLeads = Math.max(1, Math.ceil(options.leadEvents / EVENTS_PER_LEAD));
  // Capture spreads over all but the last weeks, so recent leads still have a journey.
  const captureSpan = Math.max(DAY, end - start - 14 * DAY);
  const accounts = Array.from(
    { length: Math.min(50_000, Math.max(1, Math.round(estimatedLeads / 3))) },
    () => ({
      name: `${random.pick(companyWords)} ${random.pick(companySuffixes)} ${random.int(1, 99_999)}`,
      fitRoll: random.next(),
    }),
  );
  let remaining = options.leadEvents;
  let leadIndex = 0;
  while (remaining > 0) {
    const pending: PendingEvent[] = [];
    let leads = 0;
    let previousLeadId: string | null = null;
    while (leads < options.chunkLeads && remaining > 0) {
      const position = Math.min(leadIndex + random.next(), estimatedLeads - 0.001);
      const capturedAt = start + (position / estimatedLeads) * captureSpan;
      const lead = new LeadJourney(random, ids, options.definition, end, capturedAt);
      lead.live(random.pick(accounts), previousLeadId);
      const events = lead.recorded.slice(0, remaining);
      pending.push(...events);
      remaining -= events.length;
      previousLeadId = lead.leadId;
      leadIndex++;
      leads++;
    }
    yield { events: ordered(pending, ids), leads };
  }
}

/** TargetSet per quarter and CampaignSpendRecorded per campaign and month, over the span. */
export function planningEvents(
  options: Pick<HistoryOptions, 'seed' | 'until' | 'months' | 'leadEvents'>,
): BulkEvent[] {
  const random = new SeededRandom(options.seed ^ 0x5eed);
  const ids = new SeededIds(random);
  const start = historyStart(options);
  const end = options.until.getTime();
  const leadsPerMonth = options.leadEvents / EVENTS_PER_LEAD / options.months;
  const pending: PendingEvent[] = [];
  const fact = (streamId: string, event: TandemEvent, at: number, role: Role, actorId: string) =>
    pending.push({
      streamId,
      event,
      at,
      leadId: null,
      accountId: null,
      actor: { kind: 'user', id: actorId, role },
      correlationId: ids.uuid(at),
    });
  for (let month = 0; month <= options.months; month++) {
    const first = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + month, 1);
    if (first > end) break;
    const date = new Date(first);
    if (date.getUTCMonth() % 3 === 0) {
      const period = `${date.getUTCFullYear()}-Q${date.getUTCMonth() / 3 + 1}`;
      const quarterLeads = leadsPerMonth * 3;
      const targets: ['marketing' | 'sales', TargetMetric, number][] = [
        ['marketing', 'mqls', Math.round(quarterLeads * 0.35)],
        ['marketing', 'pipeline', Math.round(quarterLeads * 2000)],
        ['sales', 'won_deals', Math.round(quarterLeads * 0.03)],
        ['sales', 'won_revenue', Math.round(quarterLeads * 1300)],
      ];
      for (const [team, metric, value] of targets) {
        fact(
          TARGETS_STREAM,
          { type: 'TargetSet', data: { team, metric, period, value, owner: null } },
          first,
          team,
          `head-of-${team}`,
        );
      }
    }
    const spentOn = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 28);
    if (spentOn > end) continue;
    for (const channel of channels) {
      for (const campaign of channel.campaigns) {
        // Spend follows volume (the demo's budgets are for ~700 leads a month).
        const amount = Math.max(100, Math.round((channel.monthlySpend * leadsPerMonth) / 700));
        fact(
          campaignStreamId(campaign),
          {
            type: 'CampaignSpendRecorded',
            data: {
              campaign,
              channel: channel.channel,
              amount,
              currency: 'EUR',
              spentOn: new Date(spentOn).toISOString().slice(0, 10),
            },
          },
          spentOn,
          'marketing',
          'marketing-ops',
        );
      }
    }
  }
  return ordered(pending, ids);
}

type TargetMetric = Extract<TandemEvent, { type: 'TargetSet' }>['data']['metric'];

/** Sorted by business time (stable), enveloped as the API would, with event ids in that order. */
function ordered(pending: PendingEvent[], ids: SeededIds): BulkEvent[] {
  const indexed = pending.map((entry, index) => ({ entry, index }));
  indexed.sort((a, b) => a.entry.at - b.entry.at || a.index - b.index);
  return indexed.map(({ entry }) => ({
    streamId: entry.streamId,
    event: encodeForStore(entry.event, {
      eventId: ids.next(),
      leadId: entry.leadId,
      accountId: entry.accountId,
      occurredAt: new Date(entry.at).toISOString(),
      correlationId: entry.correlationId,
      causationId: null,
      actor: entry.actor,
    }),
  }));
}

/** One lead's life: commands through the decider, the events it chose kept in order. */
class LeadJourney {
  readonly recorded: PendingEvent[] = [];
  readonly leadId: string;
  private state: LeadState = initialLeadState();
  private accountId: string | null = null;
  private t = 0;

  constructor(
    private readonly random: SeededRandom,
    private readonly ids: SeededIds,
    private readonly definition: FunnelDefinition,
    private readonly until: number,
    capturedAt: number,
  ) {
    // A UUIDv7 of the capture time, as the API mints it.
    this.leadId = ids.uuid(capturedAt);
    this.t = capturedAt;
  }

  live(account: { name: string; fitRoll: number }, previousLeadId: string | null): void {
    const r = this.random;
    const channel = r.weighted(channels.map((c) => [c, c.share] as const));
    const inIcp = account.fitRoll < channel.fit;
    const fits = (bias: number) => r.chance(bias);
    const country = fits(channel.fit + 0.15) ? r.pick(icpCountries) : r.pick(otherCountries);
    const team = country === 'US' || country === 'BR' || country === 'MX' ? 'americas' : 'emea';
    const owner = r.pick(salesTeams[team]);
    const campaign = r.pick(channel.campaigns);
    const fitScore = (inIcp ? 0.5 : 0) + r.next() * 0.5;
    const first = r.pick(firstNames);
    const last = r.pick(lastNames);
    this.accountId = `acct-${account.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;

    const captured = this.run('marketing', 'marketing-automation', 0, {
      type: 'CaptureLead',
      data: {
        contact: {
          name: `${first} ${last}`,
          email: `${first}.${last}.${this.leadId.slice(-8)}@example.com`
            .normalize('NFD')
            .replace(/[^a-zA-Z0-9.@-]/g, '')
            .toLowerCase(),
        },
        company: {
          name: account.name,
          industry: inIcp ? r.pick(icpIndustries) : r.pick(otherIndustries),
          size: inIcp ? r.int(60, 4000) : r.pick([r.int(2, 40), r.int(6000, 40000)]),
          country,
        },
        source: {
          channel: channel.channel,
          campaign,
          medium: channel.channel === 'content' ? 'organic' : 'paid',
        },
        productInterest: fits(0.85) ? r.pick(products) : 'other',
        timeframe: fits(0.85) ? r.pick(timeframes) : null,
        consent: { marketing: fits(0.9) },
      },
    });
    if (!captured) return;
    // A duplicate capture, merged by ops into the lead before it.
    if (previousLeadId !== null && r.chance(0.004)) {
      this.run('ops', 'data-steward', r.next() * 3 * DAY, {
        type: 'MergeLead',
        data: { intoLeadId: previousLeadId },
      });
      return;
    }
    this.nurture(channel, campaign, r.int(6, 20), 4 * DAY);
    this.run('marketing', 'marketing-automation', r.next() * 2 * DAY, {
      type: 'ProfileLead',
      data: {
        industry: null,
        companySize: null,
        country: null,
        role: fits(inIcp ? 0.85 : 0.3) ? r.pick(icpRoles) : r.pick(otherRoles),
        budget: r.chance(fitScore) ? { amount: r.int(5, 120) * 1000, currency: 'EUR' } : null,
        timeline: null,
      },
    });
    for (let round = 0; round < 3; round++) {
      const outcome = this.throughSales(channel, campaign, owner, team, fitScore, round);
      if (outcome === 'done') break;
      // Recycled: back to nurturing for a while, then another MQL decision.
      this.nurture(channel, campaign, r.int(2, 6), 10 * DAY);
    }
    if (r.chance(0.003)) {
      this.run('ops', 'privacy-officer', r.int(30, 200) * DAY, {
        type: 'EraseLead',
        data: { reason: 'data subject request' },
      });
    }
  }

  /** MQL → hand-off → sales' answer → SQL → opportunity → deal; 'recycled' to go round again. */
  private throughSales(
    channel: ChannelProfile,
    campaign: string,
    owner: string,
    team: string,
    fitScore: number,
    round: number,
  ): 'done' | 'recycled' {
    const r = this.random;
    const marketing = ['marketing', 'marketing-automation'] as const;
    let qualified = this.run(...marketing, 2 * HOUR, { type: 'QualifyLeadAsMql', data: {} });
    if (!qualified && r.chance(0.6)) {
      // Below the threshold: more nurturing, then marketing automation asks again.
      this.nurture(channel, campaign, r.int(2, 6), 5 * DAY, true);
      qualified = this.run(...marketing, HOUR, { type: 'QualifyLeadAsMql', data: {} });
    }
    if (!qualified) return 'done';
    this.run(...marketing, r.next() * 8 * HOUR, {
      type: 'HandLeadToSales',
      data: { owner, team },
    });
    if (r.chance(0.04)) return 'done'; // leakage: nobody acts on it
    const reaction = r.chance(0.82)
      ? HOUR + r.next() * 20 * HOUR
      : 26 * HOUR + r.next() * 72 * HOUR;
    if (!r.chance(0.45 + fitScore * 0.5 - round * 0.1)) {
      const reason =
        fitScore < 0.45
          ? 'not_icp'
          : r.pick(['no_budget', 'too_early', 'not_reachable', 'wrong_contact']);
      this.run('sales', owner, reaction, { type: 'RejectLead', data: { reason, note: null } });
      return this.maybeRecycle(0.35, `sales: ${reason}`);
    }
    this.run('sales', owner, reaction, { type: 'AcceptLead', data: { note: null } });
    this.nurture(channel, campaign, r.int(1, 5), 3 * DAY);
    if (!r.chance(0.72)) return this.maybeRecycle(0.2, 'not ready to buy');
    const criteria = ['budget', 'authority', 'need', 'timeline'].filter(
      (_, i) => i < 3 || r.chance(0.5),
    );
    this.run('sales', owner, r.int(1, 7) * DAY, {
      type: 'QualifyLeadAsSql',
      data: { criteriaMet: criteria },
    });
    if (!r.chance(0.8)) return 'done';
    const amount = r.int(8, 90) * 1000;
    this.run('sales', owner, r.int(1, 5) * DAY, {
      type: 'OpenOpportunity',
      data: { opportunityId: this.ids.uuid(this.t), stage: 'discovery', amount, currency: 'EUR' },
    });
    let stage = 'discovery';
    for (const next of ['proposal', 'negotiation']) {
      if (!r.chance(0.7)) break;
      stage = next;
      this.run('sales', owner, r.int(5, 20) * DAY, {
        type: 'ChangeOpportunityStage',
        data: { to: next, amount: r.chance(0.3) ? Math.round(amount * 1.1) : null },
      });
    }
    const winChance = stage === 'negotiation' ? 0.6 : stage === 'proposal' ? 0.35 : 0.15;
    if (r.chance(winChance)) {
      this.run('sales', owner, r.int(3, 25) * DAY, {
        type: 'WinDeal',
        data: { amount: Math.round(amount * (0.85 + r.next() * 0.25)) },
      });
      return 'done';
    }
    if (!r.chance(0.8)) return 'done'; // still open
    const reason = r.pick(['price', 'competitor', 'no_decision', 'timing', 'product_fit']);
    this.run('sales', owner, r.int(3, 25) * DAY, {
      type: 'LoseDeal',
      data: { reason, note: null },
    });
    return this.maybeRecycle(0.25, `lost: ${reason}`);
  }

  private maybeRecycle(probability: number, reason: string): 'done' | 'recycled' {
    if (!this.random.chance(probability)) return 'done';
    const recycled = this.run('marketing', 'marketing-ops', this.random.int(10, 60) * DAY, {
      type: 'RecycleLead',
      data: { reason },
    });
    return recycled ? 'recycled' : 'done';
  }

  private nurture(
    channel: ChannelProfile,
    campaign: string,
    count: number,
    spacing: number,
    strong = false,
  ): void {
    for (let i = 0; i < count; i++) {
      const kind: TouchpointKind =
        strong && this.random.chance(0.3) ? 'demo_request' : pickKind(this.random, channel);
      this.run('marketing', 'marketing-automation', this.random.next() * spacing, {
        type: 'RecordTouchpoint',
        data: {
          touchpointId: this.ids.uuid(this.t),
          kind,
          channel: channel.channel,
          campaign: this.random.chance(0.7) ? campaign : null,
          content: null,
        },
      });
    }
  }

  /**
   * The API's command path without HTTP: authorize, decide under the definition, evolve.
   * False when the domain refuses (or the journey reached the end of the history).
   */
  private run(role: Role, actorId: string, after: number, command: LeadCommand): boolean {
    this.t += after;
    if (this.t > this.until) return false;
    authorize(role, command.type);
    const at = Math.round(this.t);
    const now = new Date(at).toISOString();
    let events: LeadEvent[];
    try {
      events = decideLead(command, this.state, {
        leadId: this.leadId,
        definition: this.definition,
        now,
      });
    } catch (error) {
      if (error instanceof DomainError) return false;
      throw error;
    }
    const correlationId = this.ids.uuid(at);
    const actor: Actor = { kind: role === 'system' ? 'system' : 'user', id: actorId, role };
    for (const event of events) {
      this.state = evolveLead(this.state, event, now);
      this.recorded.push({
        streamId: leadStreamId(this.leadId),
        event,
        at,
        leadId: this.leadId,
        accountId: this.accountId,
        actor,
        correlationId,
      });
    }
    return true;
  }
}

function pickKind(random: SeededRandom, channel: ChannelProfile): TouchpointKind {
  return random.weighted(channel.touchpoints) as TouchpointKind;
}

/**
 * UUIDv7-shaped ids from the seeded stream: `uuid(ms)` for ids minted at a business time
 * (leads, touchpoints, correlation), `next()` for event ids in global order (a recording
 * clock that ticks one millisecond per event from a fixed origin, as the store would see).
 */
class SeededIds {
  private recordedAt = Date.UTC(2030, 0, 1);

  constructor(private readonly random: SeededRandom) {}

  next(): string {
    return this.uuid(this.recordedAt++);
  }

  uuid(ms: number): string {
    const time = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
    const a = this.word();
    const b = this.word();
    const c = this.word();
    // Version 7 and the RFC 9562 variant; the remaining 74 bits from the seeded stream.
    return (
      `${time.slice(0, 8)}-${time.slice(8, 12)}-7${byteHex[a & 0xff]}${nibble[(a >>> 8) & 0xf]}-` +
      `${nibble[8 + ((a >>> 12) & 0x3)]}${nibble[(a >>> 14) & 0xf]}${byteHex[(a >>> 18) & 0xff]}-` +
      `${byteHex[b & 0xff]}${byteHex[(b >>> 8) & 0xff]}${byteHex[(b >>> 16) & 0xff]}` +
      `${byteHex[b >>> 24]}${byteHex[c & 0xff]}${byteHex[(c >>> 8) & 0xff]}`
    );
  }

  private word(): number {
    return Math.floor(this.random.next() * 0x1_0000_0000) >>> 0;
  }
}

const nibble = '0123456789abcdef'.split('');
const byteHex = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
