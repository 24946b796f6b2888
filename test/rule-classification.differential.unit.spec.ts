/**
 * The domain's classifier (classifyLead / leadClassifier) against the plainest reading of the
 * rules, over thousands of seeded random histories and definitions: fold each event with
 * evolveLead, score the facts after every event with the formulas written out here as they were
 * first written (fit over Object.entries of the weights, intent re-parsing every touchpoint's
 * time), stop at the first qualifying evaluation. Every lead must agree to the last bit of every
 * score, the MQL moment included: replays skip the evaluations that cannot qualify and score
 * touchpoints from times parsed once, and none of that may change a number.
 *
 * Histories stress what the shortcuts lean on: touchpoints out of time order and at equal
 * times, captures and profiles that change the fit midway, blank required fields, merges and
 * erasures, sales-sourced hand-offs, and definitions at the edges (zero weights, a threshold of
 * 0 or 100, tiny and huge half-lives, caps below the points).
 */
import {
  classifyLead,
  defaultFunnelDefinition,
  evolveLead,
  initialLeadState,
  leadClassifier,
  salesEntryPath,
  touchpointKinds,
  type FunnelDefinition,
  type LeadClassification,
  type LeadEvent,
  type LeadFacts,
  type LeadHistoryEvent,
  type MqlField,
} from '@tandem/domain';
import { SeededRandom } from '../apps/cli/src/demo/seeded-random';

// --- the reference: the rules as first written -------------------------------------------------

const round2 = (value: number) => Math.round(value * 100) / 100;

function referenceFit(definition: FunnelDefinition, lead: LeadFacts): number {
  const { icp } = definition;
  const matches: Record<keyof FunnelDefinition['icp']['weights'], boolean> = {
    industry: lead.industry !== null && icp.industries.includes(lead.industry),
    companySize:
      lead.companySize !== null &&
      lead.companySize >= icp.companySize.min &&
      lead.companySize <= icp.companySize.max,
    country: lead.country !== null && icp.countries.includes(lead.country),
    role: lead.role !== null && icp.roles.includes(lead.role),
    productInterest:
      lead.productInterest !== null && icp.productInterests.includes(lead.productInterest),
  };
  let total = 0;
  let met = 0;
  for (const [criterion, weight] of Object.entries(icp.weights) as [
    keyof typeof matches,
    number,
  ][]) {
    total += weight;
    if (matches[criterion]) met += weight;
  }
  return total === 0 ? 0 : round2((met / total) * 100);
}

function referenceIntent(definition: FunnelDefinition, lead: LeadFacts, at: string): number {
  const now = Date.parse(at);
  let score = 0;
  for (const touchpoint of lead.touchpoints) {
    const points = definition.intent.touchpointPoints[touchpoint.kind] ?? 0;
    const ageDays = Math.max(0, (now - Date.parse(touchpoint.occurredAt)) / 86_400_000);
    score += points * Math.pow(0.5, ageDays / definition.intent.halfLifeDays);
  }
  return round2(Math.min(definition.intent.cap, score));
}

function referenceClassification(
  definition: FunnelDefinition,
  history: readonly LeadHistoryEvent[],
): LeadClassification {
  let state = initialLeadState();
  let last: LeadClassification = { mql: false, mqlAt: null, fitScore: 0, intentScore: 0, score: 0 };
  for (const { event, occurredAt } of history) {
    state = evolveLead(state, event, occurredAt);
    if (state.status === 'erased' || state.status === 'merged') break;
    const fit = referenceFit(definition, state.facts);
    const intent = referenceIntent(definition, state.facts, occurredAt);
    const score = round2(fit * definition.mql.fitWeight + intent * definition.mql.intentWeight);
    const missing = definition.mql.requiredFields.some((field) => {
      const value = state.facts[field];
      return value === null || value.trim() === '';
    });
    const qualifies = !missing && score >= definition.mql.threshold;
    last = {
      mql: qualifies,
      mqlAt: qualifies ? occurredAt : null,
      fitScore: fit,
      intentScore: intent,
      score,
    };
    if (qualifies) break;
  }
  if (salesEntryPath(history) === 'sales_sourced') return { ...last, mql: false, mqlAt: null };
  return last;
}

// --- seeded random definitions and histories ---------------------------------------------------

const industries = ['software', 'manufacturing', 'retail', 'healthcare', ''];
const countries = ['IT', 'DE', 'US', 'BR', ''];
const roles = ['cmo', 'ceo', 'intern', 'head_of_sales', ''];
const interests = ['funnel_analytics', 'attribution', 'crm', ''];

function randomDefinition(random: SeededRandom): FunnelDefinition {
  const base = defaultFunnelDefinition;
  const fitWeight = random.pick([0, 0.25, 0.6, 0.7, 1]);
  const weight = () => random.pick([0, 0, 5, 10, 20, 25, 33.3, 100]);
  const touchpointPoints = Object.fromEntries(
    touchpointKinds
      .filter(() => random.chance(0.85))
      .map((kind) => [kind, random.pick([0, 1, 2.5, 3, 12, 40, 100])]),
  );
  return {
    ...base,
    version: 2,
    icp: {
      ...base.icp,
      companySize: random.pick([base.icp.companySize, { min: 0, max: 10 }, { min: 200, max: 200 }]),
      weights: {
        industry: weight(),
        companySize: weight(),
        country: weight(),
        role: weight(),
        productInterest: weight(),
      },
    },
    intent: {
      touchpointPoints,
      halfLifeDays: random.pick([0.001, 0.5, 7, 30, 365, 3650]),
      cap: random.pick([1, 10, 33.33, 60, 100]),
    },
    mql: {
      threshold: random.pick([0, 10, 20, 30, 40, 45.5, 55, 65, 80, 99.99, 100]),
      fitWeight,
      intentWeight: 1 - fitWeight,
      requiredFields: (['name', 'email', 'productInterest', 'timeframe'] as MqlField[]).filter(() =>
        random.chance(0.5),
      ),
    },
  };
}

function randomEvent(random: SeededRandom): LeadEvent {
  const maybe = <T>(value: T): T | null => (random.chance(0.3) ? null : value);
  const roll = random.next();
  if (roll < 0.08) {
    return {
      type: 'LeadCaptured',
      data: {
        contact: {
          name: random.pick(['Ada', 'Ada', ' ']),
          email: random.pick(['a@b.io', 'a@b.io', '']),
        },
        company: {
          name: '',
          industry: maybe(random.pick(industries)) ?? undefined,
          size: maybe(random.pick([5, 50, 200, 5000, 9000])) ?? undefined,
          country: maybe(random.pick(countries)) ?? undefined,
        },
        source: { channel: 'web' },
        productInterest: random.chance(0.1) ? null : random.pick(interests),
        timeframe: random.chance(0.1) ? null : random.pick(['3_months', '3_months', ' ']),
        consent: { marketing: true },
      },
    };
  }
  if (roll < 0.14) {
    return {
      type: 'LeadProfiled',
      data: {
        industry: maybe(random.pick(industries)),
        companySize: maybe(random.pick([5, 50, 200, 5000])),
        country: maybe(random.pick(countries)),
        role: maybe(random.pick(roles)),
        budget: null,
        timeline: maybe(random.pick(['now', ''])),
      },
    };
  }
  if (roll < 0.17) {
    return {
      type: 'LeadHandedToSales',
      data: {
        owner: 'o',
        team: null,
        slaDueAt: '2026-01-01T00:00:00.000Z',
        rulesVersion: 1,
        ...(random.chance(0.3) ? { path: 'sales_sourced' as const, salesSource: 'referral' } : {}),
      },
    };
  }
  if (roll < 0.19) return { type: 'LeadAcceptedBySales', data: { owner: 'o', note: null } };
  if (roll < 0.195) return { type: 'LeadMerged', data: { intoLeadId: 'x' } };
  if (roll < 0.2) return { type: 'LeadErased', data: { reason: '' } };
  return {
    type: 'TouchpointRecorded',
    data: {
      touchpointId: 't',
      kind: random.pick(touchpointKinds),
      channel: 'web',
      campaign: null,
      content: null,
    },
  };
}

function randomHistory(random: SeededRandom): LeadHistoryEvent[] {
  let time = Date.UTC(2025, random.int(0, 11), random.int(1, 28), random.int(0, 23));
  const length = random.pick([0, 1, 2, 5, 10, 20, 40, 120]);
  const history: LeadHistoryEvent[] = [];
  if (random.chance(0.8)) {
    // Most leads start with a capture, as they do in the store.
    const capture = randomEvent(new SeededRandom(random.int(0, 2 ** 31)));
    if (capture.type === 'LeadCaptured') history.push({ event: capture, occurredAt: iso(time) });
  }
  for (let i = 0; i < length; i++) {
    const step = random.pick([0, 1, 999, 3_600_000, 86_400_000, 20 * 86_400_000, -3_600_000]);
    time += step + random.int(0, 1000);
    history.push({ event: randomEvent(random), occurredAt: iso(time) });
  }
  return history;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Equal to the bit: Object.is tells 0 from -0 and NaN from everything but NaN. */
function sameClassification(a: LeadClassification, b: LeadClassification): boolean {
  return (
    a.mql === b.mql &&
    a.mqlAt === b.mqlAt &&
    Object.is(a.fitScore, b.fitScore) &&
    Object.is(a.intentScore, b.intentScore) &&
    Object.is(a.score, b.score)
  );
}

describe('the classifier replays use, against the rules as first written', () => {
  it('agrees lead by lead, to the bit, over 200 random definitions × 40 random histories', () => {
    const random = new SeededRandom(20261130);
    const disagreements: string[] = [];
    let qualified = 0;
    let checked = 0;
    for (let d = 0; d < 200; d++) {
      const definition = d === 0 ? defaultFunnelDefinition : randomDefinition(random);
      const classify = leadClassifier(definition);
      for (let h = 0; h < 40; h++) {
        const history = randomHistory(random);
        const expected = referenceClassification(definition, history);
        for (const actual of [classify(history), classifyLead(definition, history)]) {
          checked++;
          if (!sameClassification(actual, expected)) {
            disagreements.push(
              `definition ${d}, history ${h}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`,
            );
          }
        }
        if (expected.mql) qualified++;
      }
    }
    expect(disagreements.slice(0, 5)).toEqual([]);
    expect(checked).toBe(16_000);
    // Both outcomes are well represented, so the shortcuts were taken and not taken.
    expect(qualified).toBeGreaterThan(900);
    expect(qualified).toBeLessThan(7_200);
  });
});
