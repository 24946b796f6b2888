/**
 * RULE_FACTS_CODE_VERSION names what the rules pass computes: the rows it computes over a fixed,
 * seeded corpus of lead histories (captures, profiles, touchpoints of every kind, recorded
 * decisions, hand-offs on both paths, merges, erasures) under two definitions are digested, and
 * the digest is recorded here per version. A change to the classifier (libs/domain) or to
 * rule-facts.ts that changes any row fails this spec until the version is bumped, so a deploy
 * never leaves rows computed by the old code beside the new code's unnoticed (ADR 0005).
 */
import { createHash } from 'node:crypto';
import { seededRandom as random } from '@tandem/testing';
import { defaultFunnelDefinition, touchpointKinds, type FunnelDefinition } from '@tandem/domain';
import { newRuleSet } from './rule-sets';
import { RULE_INPUT_TYPES, ruleFactValues, TYPE_CODE_BASE, type LeadInputsRow } from './rule-facts';
import { RULE_FACTS_CODE_VERSION, factsOutdated, ruleFactsVersion } from './rule-facts-version';

/**
 * The digest of the corpus's rows for each RULE_FACTS_CODE_VERSION. When this spec fails after a
 * change that means to compute other rows, bump the version and add its digest; never edit a
 * recorded one.
 */
const GOLDEN: Record<number, string> = {
  1: 'e1b1701fa14861b37ed6993fea5f1f3f2b60a2f5ec5647c7c1ba33d47ef361ee',
};

const typeCode = (type: (typeof RULE_INPUT_TYPES)[number]) =>
  TYPE_CODE_BASE + RULE_INPUT_TYPES.indexOf(type);

/** One lead's inputs as readRuleInputs returns them, drawn from `next`. */
function leadInputs(index: number, next: () => number): LeadInputsRow {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const codes: number[] = [];
  const times: string[] = [];
  const data: string[] = [];
  let at = Date.UTC(2025, 0, 1) + Math.floor(next() * 200) * 86_400_000;
  const add = (code: number, payload?: unknown) => {
    at += Math.floor(next() * 20 * 86_400_000);
    codes.push(code);
    times.push(new Date(at).toISOString());
    if (payload !== undefined) data.push(JSON.stringify(payload));
  };
  add(typeCode('LeadCaptured'), {
    contactGiven: { name: next() < 0.9, email: next() < 0.9 },
    company: {
      industry: pick(['software', 'manufacturing', 'retail', null]),
      size: pick([10, 60, 400, 5000, 9000, null]),
      country: pick(['IT', 'DE', 'US', 'BR', null]),
    },
    source: { channel: pick(['webinar', 'referral', 'ads']), campaign: pick(['q1', null]) },
    productInterest: pick(['lead_scoring', 'attribution', 'crm', null]),
    timeframe: pick(['q3', null]),
    consent: { marketing: next() < 0.5 },
  });
  const steps = Math.floor(next() * 12);
  for (let step = 0; step < steps; step++) {
    const roll = next();
    if (roll < 0.55) add(1 + Math.floor(next() * touchpointKinds.length), undefined);
    else if (roll < 0.7)
      add(typeCode('LeadProfiled'), {
        industry: pick(['software', 'healthcare', null]),
        companySize: pick([80, 20, null]),
        country: pick(['FR', 'CN', null]),
        role: pick(['cmo', 'intern', null]),
        timeline: pick(['now', null]),
      });
    else if (roll < 0.8) add(typeCode('LeadQualifiedAsMql'), { rulesVersion: pick([1, 2, 7]) });
    else if (roll < 0.88)
      add(typeCode('LeadHandedToSales'), {
        owner: 'rep',
        team: null,
        slaDueAt: new Date(at).toISOString(),
        rulesVersion: 1,
        ...(next() < 0.4 ? { path: 'sales_sourced', salesSource: 'outbound' } : {}),
      });
    else if (roll < 0.93) add(typeCode('LeadMerged'), { intoLeadId: `lead-${index + 1}` });
    else if (roll < 0.96) add(typeCode('LeadErased'), {});
    else add(0, undefined); // a touchpoint kind the contract does not know
  }
  return [
    `lead-${String(index).padStart(4, '0')}`,
    codes,
    times,
    data,
    codes.length + 3,
    String(1000 + index),
  ];
}

const lenient: FunnelDefinition = {
  ...defaultFunnelDefinition,
  version: 2,
  mql: { ...defaultFunnelDefinition.mql, threshold: 30, requiredFields: ['email'] },
};

/** The digest of every row the pass computes over the corpus under both definitions. */
function corpusDigest(): string {
  const next = random(20_261_201);
  const corpus = Array.from({ length: 400 }, (_, index) => leadInputs(index, next));
  const sets = [
    newRuleSet(defaultFunnelDefinition, 'published', 'ready'),
    newRuleSet(lenient, 'shadow', 'ready'),
  ];
  const { facts, events } = ruleFactValues(sets, corpus);
  return createHash('sha256').update(JSON.stringify({ facts, events })).digest('hex');
}

describe('the facts version', () => {
  it('names the rows the rules pass computes: a change of them without a bump fails here', () => {
    const digest = corpusDigest();
    expect(GOLDEN[RULE_FACTS_CODE_VERSION]).toBe(digest);
  });

  it('the corpus holds leads that qualify and leads that do not', () => {
    const next = random(20_261_201);
    const corpus = Array.from({ length: 400 }, (_, index) => leadInputs(index, next));
    const { facts } = ruleFactValues([newRuleSet(lenient, 'published', 'ready')], corpus);
    const mql = facts.filter((row) => row[3]).length;
    expect(mql).toBeGreaterThan(20);
    expect(facts.length - mql).toBeGreaterThan(20);
  });

  it('is the code version and a digest of the pass SQL; a set of another version is outdated', () => {
    expect(ruleFactsVersion()).toMatch(new RegExp(`^${RULE_FACTS_CODE_VERSION}-[0-9a-f]{12}$`));
    const set = newRuleSet(defaultFunnelDefinition, 'published', 'ready');
    expect(factsOutdated(set)).toBe(false);
    expect(factsOutdated({ ...set, factsVersion: '' })).toBe(true);
    expect(factsOutdated({ ...set, factsVersion: `0-${'0'.repeat(12)}` })).toBe(true);
  });
});
