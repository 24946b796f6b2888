/**
 * A simulated quarter of a B2B company, as the HTTP requests its people and
 * systems would send: campaigns capture leads, touchpoints build intent,
 * marketing automation asks for MQL decisions, sales accepts or rejects within
 * (or outside) the SLA, qualifies, opens opportunities, wins and loses.
 * Pure and seeded: the same seed and quarter give the same requests. Nothing is
 * decided here that the product decides: whether a lead becomes an MQL is the
 * API's answer under the active funnel definition.
 */
import type { Role } from '@tandem/domain';
import { SeededRandom } from './seeded-random';

export interface SimulatedRequest {
  /** Business time the request is stamped with (`occurredAt`). */
  readonly at: string;
  readonly role: Role;
  readonly actor: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
  /** The rest of the journey depends on this request succeeding (e.g. an MQL decision). */
  readonly gate?: boolean;
}

export interface LeadJourney {
  readonly leadId: string;
  readonly requests: readonly SimulatedRequest[];
}

export interface SimulatedQuarter {
  readonly label: string;
  readonly journeys: readonly LeadJourney[];
  /** Spend and targets: requests not tied to one lead. */
  readonly planning: readonly SimulatedRequest[];
}

export interface ChannelProfile {
  readonly channel: string;
  readonly campaigns: readonly string[];
  readonly share: number;
  /** Probability that a lead from this channel matches each ICP criterion. */
  readonly fit: number;
  readonly touchpoints: readonly (readonly [string, number])[];
  /** Monthly spend per campaign, EUR. */
  readonly monthlySpend: number;
}

export const channels: readonly ChannelProfile[] = [
  {
    channel: 'paid_search',
    campaigns: ['search-brand', 'search-generic'],
    share: 0.24,
    fit: 0.55,
    touchpoints: [
      ['ad_click', 4],
      ['page_view', 5],
      ['content_download', 2],
      ['demo_request', 1],
    ],
    monthlySpend: 9000,
  },
  {
    channel: 'social_ads',
    campaigns: ['linkedin-abm', 'meta-retargeting'],
    share: 0.2,
    fit: 0.4,
    touchpoints: [
      ['social', 4],
      ['ad_click', 3],
      ['page_view', 3],
      ['email_open', 2],
    ],
    monthlySpend: 7000,
  },
  {
    channel: 'content',
    campaigns: ['ebook-funnel-metrics', 'blog-seo'],
    share: 0.2,
    fit: 0.5,
    touchpoints: [
      ['content_download', 4],
      ['page_view', 5],
      ['email_click', 3],
      ['email_open', 3],
    ],
    monthlySpend: 3000,
  },
  {
    channel: 'webinar',
    campaigns: ['webinar-attribution-101'],
    share: 0.1,
    fit: 0.62,
    touchpoints: [
      ['webinar', 4],
      ['email_click', 3],
      ['content_download', 2],
      ['demo_request', 1],
    ],
    monthlySpend: 2500,
  },
  {
    channel: 'trade_fair',
    campaigns: ['smau-milano', 'dmexco-cologne'],
    share: 0.08,
    fit: 0.75,
    touchpoints: [
      ['trade_fair', 4],
      ['event', 2],
      ['email_click', 2],
      ['demo_request', 2],
    ],
    monthlySpend: 12000,
  },
  {
    channel: 'chatbot',
    campaigns: ['site-chatbot'],
    share: 0.08,
    fit: 0.45,
    touchpoints: [
      ['chatbot', 4],
      ['page_view', 4],
      ['demo_request', 1],
    ],
    monthlySpend: 800,
  },
  {
    channel: 'referral',
    campaigns: ['partner-referrals'],
    share: 0.1,
    fit: 0.8,
    touchpoints: [
      ['email_click', 3],
      ['page_view', 3],
      ['demo_request', 2],
      ['event', 1],
    ],
    monthlySpend: 1500,
  },
];

export const icpIndustries = ['software', 'manufacturing', 'healthcare', 'financial_services'];
export const otherIndustries = [
  'retail',
  'hospitality',
  'education',
  'public_sector',
  'automotive',
];
export const icpCountries = ['IT', 'DE', 'FR', 'ES', 'GB', 'US'];
export const otherCountries = ['BR', 'IN', 'JP', 'MX'];
export const icpRoles = [
  'cmo',
  'head_of_marketing',
  'head_of_sales',
  'cro',
  'ceo',
  'marketing_ops',
];
export const otherRoles = ['intern', 'student', 'consultant', 'developer'];
export const products = ['funnel_analytics', 'lead_scoring', 'attribution'];
export const timeframes = ['this_month', '3_months', '6_months', 'next_year'];
export const salesTeams = {
  emea: ['giulia.bianchi', 'marco.rossi', 'lena.schmidt', 'claire.martin'],
  americas: ['sam.carter', 'ana.lopez'],
} as const;
export const firstNames = [
  'Alessandro',
  'Chiara',
  'Jonas',
  'Sofia',
  'Pierre',
  'Emma',
  'Lucas',
  'Marta',
];
export const lastNames = [
  'Ferrari',
  'Esposito',
  'Müller',
  'Dubois',
  'García',
  'Smith',
  'Romano',
  'Weber',
];
export const companyWords = ['Nord', 'Alpi', 'Vela', 'Tessile', 'Orbit', 'Delta', 'Kappa', 'Lumen'];
export const companySuffixes = ['Systems', 'Group', 'SpA', 'GmbH', 'Labs', 'Industries'];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface QuarterOptions {
  readonly seed: number;
  /** First day of the quarter (UTC). */
  readonly quarterStart: Date;
  readonly leads: number;
  /** Requests stamped later than this are not sent: the future has not happened. */
  readonly now: Date;
}

export function quarterLabel(start: Date): string {
  return `${start.getUTCFullYear()}-Q${Math.floor(start.getUTCMonth() / 3) + 1}`;
}

export function simulateQuarter(options: QuarterOptions): SimulatedQuarter {
  const random = new SeededRandom(options.seed);
  const start = options.quarterStart.getTime();
  const end = Date.UTC(
    options.quarterStart.getUTCFullYear(),
    options.quarterStart.getUTCMonth() + 3,
    1,
  );
  const accounts = Array.from({ length: Math.max(1, Math.round(options.leads / 3)) }, () => ({
    name: `${random.pick(companyWords)} ${random.pick(companySuffixes)} ${random.int(1, 999)}`,
    fitRoll: random.next(),
  }));
  const journeys: LeadJourney[] = [];
  for (let index = 0; index < options.leads; index++) {
    const channel = random.weighted(channels.map((c) => [c, c.share] as const));
    const account = random.pick(accounts);
    const capturedAt = start + random.next() * (end - start - DAY);
    journeys.push(simulateLead(random, channel, account, capturedAt, options.now.getTime()));
  }
  return {
    label: quarterLabel(options.quarterStart),
    journeys,
    planning: planning(options.quarterStart, options.now.getTime()),
  };
}

/** Channels where sales meet leads themselves, and the dictionary's sales-sourced source for them. */
const salesSources: Readonly<Record<string, string>> = {
  trade_fair: 'event_contact',
  referral: 'referral',
};
/** Of those channels' leads, the share sales hand over directly instead of waiting for an MQL. */
const SALES_SOURCED_SHARE = 0.35;

function simulateLead(
  random: SeededRandom,
  channel: ChannelProfile,
  account: { name: string; fitRoll: number },
  capturedAt: number,
  now: number,
): LeadJourney {
  const leadId = random.uuid();
  const fits = (bias: number) => random.chance(bias);
  const inIcp = account.fitRoll < channel.fit;
  const country = fits(channel.fit + 0.15)
    ? random.pick(icpCountries)
    : random.pick(otherCountries);
  const team = country === 'US' || country === 'BR' || country === 'MX' ? 'americas' : 'emea';
  const owner = random.pick(salesTeams[team]);
  const campaign = random.pick(channel.campaigns);
  const first = random.pick(firstNames);
  const last = random.pick(lastNames);
  const fitScore = (inIcp ? 0.5 : 0) + random.next() * 0.5;
  const requests: SimulatedRequest[] = [];
  let t = capturedAt;
  const push = (request: Omit<SimulatedRequest, 'at'>, after: number) => {
    t += after;
    requests.push({ ...request, at: new Date(Math.round(t)).toISOString() });
  };
  const marketing = { role: 'marketing' as const, actor: 'marketing-automation' };
  const sales = { role: 'sales' as const, actor: owner };

  push(
    {
      ...marketing,
      path: '/leads',
      body: {
        leadId,
        accountId: `acct-${account.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
        contact: {
          name: `${first} ${last}`,
          email: `${first}.${last}.${leadId.slice(0, 6)}@example.com`
            .normalize('NFD')
            .replace(/[^a-zA-Z0-9.@-]/g, '')
            .toLowerCase(),
        },
        company: {
          name: account.name,
          industry: inIcp ? random.pick(icpIndustries) : random.pick(otherIndustries),
          size: inIcp
            ? random.int(60, 4000)
            : random.pick([random.int(2, 40), random.int(6000, 40000)]),
          country,
        },
        source: {
          channel: channel.channel,
          campaign,
          medium: channel.channel === 'content' ? 'organic' : 'paid',
        },
        productInterest: fits(0.85) ? random.pick(products) : 'other',
        timeframe: fits(0.85) ? random.pick(timeframes) : null,
        consent: { marketing: fits(0.9) },
      },
    },
    0,
  );
  const touchpoints = random.int(0, 6);
  for (let i = 0; i < touchpoints; i++) {
    const kind = random.weighted(channel.touchpoints);
    push(
      {
        ...marketing,
        path: `/leads/${leadId}/touchpoints`,
        body: { kind, channel: channel.channel, campaign: random.chance(0.7) ? campaign : null },
      },
      random.next() * 5 * DAY,
    );
  }
  push(
    {
      ...marketing,
      path: `/leads/${leadId}/profile`,
      body: {
        role: fits(inIcp ? 0.85 : 0.3) ? random.pick(icpRoles) : random.pick(otherRoles),
        budget: random.chance(fitScore)
          ? { amount: random.int(5, 120) * 1000, currency: 'EUR' }
          : null,
      },
    },
    random.next() * 2 * DAY,
  );
  const direct = salesSources[channel.channel];
  if (direct !== undefined && random.chance(SALES_SOURCED_SHARE)) {
    // Sales met this lead themselves (a fair, a referral): straight to sales, no MQL (ADR 0008).
    push(
      {
        ...sales,
        path: `/leads/${leadId}/sales-sourced-handoff`,
        body: { owner, team, source: direct },
      },
      random.next() * 8 * HOUR,
    );
  } else {
    push({ ...marketing, path: `/leads/${leadId}/mql`, body: {}, gate: true }, HOUR);
    push(
      { ...marketing, path: `/leads/${leadId}/handoff`, body: { owner, team } },
      random.next() * 8 * HOUR,
    );
  }
  if (random.chance(0.04)) return cut(leadId, requests, now); // leakage: nobody acts on it

  const withinSla = random.chance(0.82);
  const reaction = withinSla
    ? HOUR + random.next() * 20 * HOUR
    : 26 * HOUR + random.next() * 72 * HOUR;
  if (!random.chance(0.45 + fitScore * 0.5)) {
    const reason =
      fitScore < 0.45
        ? 'not_icp'
        : random.pick(['no_budget', 'too_early', 'not_reachable', 'wrong_contact']);
    push({ ...sales, path: `/leads/${leadId}/reject`, body: { reason, note: null } }, reaction);
    if (random.chance(0.3)) {
      push(
        { ...marketing, path: `/leads/${leadId}/recycle`, body: { reason: `sales: ${reason}` } },
        random.int(10, 30) * DAY,
      );
    }
    return cut(leadId, requests, now);
  }
  push({ ...sales, path: `/leads/${leadId}/accept`, body: { note: null } }, reaction);
  if (!random.chance(0.72)) return cut(leadId, requests, now);
  const criteria = ['budget', 'authority', 'need', 'timeline'].filter(
    (_, i) => i < 3 || random.chance(0.5),
  );
  push(
    { ...sales, path: `/leads/${leadId}/sql`, body: { criteriaMet: criteria } },
    random.int(1, 7) * DAY,
  );
  if (!random.chance(0.8)) return cut(leadId, requests, now);
  const amount = random.int(8, 90) * 1000;
  push(
    {
      ...sales,
      path: `/leads/${leadId}/opportunity`,
      body: { stage: 'discovery', amount, currency: 'EUR' },
    },
    random.int(1, 5) * DAY,
  );
  let stage = 'discovery';
  for (const next of ['proposal', 'negotiation']) {
    if (!random.chance(0.7)) break;
    stage = next;
    push(
      { ...sales, path: `/leads/${leadId}/opportunity/stage`, body: { to: next, amount: null } },
      random.int(5, 20) * DAY,
    );
  }
  const winChance = stage === 'negotiation' ? 0.6 : stage === 'proposal' ? 0.35 : 0.15;
  if (random.chance(winChance)) {
    push(
      {
        ...sales,
        path: `/leads/${leadId}/won`,
        body: { amount: Math.round(amount * (0.85 + random.next() * 0.25)) },
      },
      random.int(3, 25) * DAY,
    );
  } else if (random.chance(0.8)) {
    const reason = random.pick(['price', 'competitor', 'no_decision', 'timing', 'product_fit']);
    push(
      { ...sales, path: `/leads/${leadId}/lost`, body: { reason, note: null } },
      random.int(3, 25) * DAY,
    );
  }
  return cut(leadId, requests, now);
}

/** Drops what would happen after `now`: that part of the journey is still open. */
function cut(leadId: string, requests: SimulatedRequest[], now: number): LeadJourney {
  return { leadId, requests: requests.filter((request) => Date.parse(request.at) <= now) };
}

function planning(quarterStart: Date, now: number): SimulatedRequest[] {
  const requests: SimulatedRequest[] = [];
  const year = quarterStart.getUTCFullYear();
  const month = quarterStart.getUTCMonth();
  const at = quarterStart.toISOString();
  const period = quarterLabel(quarterStart);
  const target = (team: 'marketing' | 'sales', metric: string, value: number, actor: string) =>
    requests.push({
      at,
      role: team,
      actor,
      path: '/targets',
      body: { team, metric, period, value, owner: null },
    });
  target('marketing', 'mqls', 700, 'head-of-marketing');
  target('marketing', 'pipeline', 4_000_000, 'head-of-marketing');
  target('sales', 'won_deals', 60, 'head-of-sales');
  target('sales', 'won_revenue', 2_500_000, 'head-of-sales');
  for (let offset = 0; offset < 3; offset++) {
    const spentOn = new Date(Date.UTC(year, month + offset, 28));
    if (spentOn.getTime() > now) continue;
    for (const channel of channels) {
      for (const campaign of channel.campaigns) {
        requests.push({
          at: spentOn.toISOString(),
          role: 'marketing',
          actor: 'marketing-ops',
          path: '/campaign-spend',
          body: {
            campaign,
            channel: channel.channel,
            amount: channel.monthlySpend,
            currency: 'EUR',
            spentOn: spentOn.toISOString().slice(0, 10),
          },
        });
      }
    }
  }
  return requests;
}
