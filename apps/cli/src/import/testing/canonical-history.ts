/**
 * A seeded, realistic history in the canonical import format, of any size: the
 * kill-and-resume spec and `npm run bench:import` write one to disk. Every lead's
 * facts pass the default dictionary (ICP-fit companies, required fields, the
 * shared reasons), so an import of it refuses nothing; about a third of the leads
 * stop in nurturing, the rest go on to sales and a deal is won or lost. Lines are
 * grouped per lead, in business-time order, as a CRM export would be.
 * Test and benchmark code only.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { SeededRandom } from '../../demo/seeded-random';

export interface HistoryFile {
  readonly leads: number;
  readonly facts: number;
}

/** The demo's seeded PRNG (mulberry32): the same seed writes the same file. */
function random(seed: number): () => number {
  const rng = new SeededRandom(seed);
  return () => rng.next();
}

const industries = ['software', 'manufacturing', 'healthcare', 'financial_services'];
const countries = ['IT', 'DE', 'FR', 'ES', 'GB', 'US'];
const roles = ['cmo', 'head_of_marketing', 'head_of_sales', 'cro', 'ceo', 'marketing_ops'];
const interests = ['funnel_analytics', 'lead_scoring', 'attribution'];
const channels = ['paid_search', 'webinar', 'event', 'social', 'organic', 'email'];
const touchKinds = ['page_view', 'content_download', 'webinar', 'email_click', 'trade_fair'];
const owners = ['marco.bianchi', 'anna.schmidt', 'luc.dubois', 'sam.carter'];
const lossReasons = ['price', 'competitor', 'no_decision', 'timing', 'product_fit'];
const HOUR = 3_600_000;
const START = Date.parse('2024-01-01T00:00:00Z');

/** Writes a history of about `targetFacts` facts (whole leads) to `file`. */
export async function writeCanonicalHistory(
  file: string,
  targetFacts: number,
  seed = 11,
): Promise<HistoryFile> {
  const next = random(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const out = createWriteStream(file);
  let chunk: string[] = [];
  let facts = 0;
  let leads = 0;
  const write = async (line: string) => {
    chunk.push(line);
    facts += 1;
    if (chunk.length >= 5_000) {
      if (!out.write(`${chunk.join('\n')}\n`)) await once(out, 'drain');
      chunk = [];
    }
  };
  while (facts < targetFacts) {
    leads += 1;
    const leadId = `hubspot:${100_000 + leads}`;
    let at = START + Math.floor(next() * 500 * 24) * HOUR;
    const fact = (type: string, data: object, extra = '') =>
      write(
        `{"leadId":"${leadId}","type":"${type}","occurredAt":"${new Date(at).toISOString()}","data":${JSON.stringify(data)}${extra}}`,
      );
    const channel = pick(channels);
    await fact(
      'CaptureLead',
      {
        contact: { name: `Lead ${leads}`, email: `lead${leads}@example.com` },
        company: {
          name: `Company ${leads % 5000}`,
          industry: pick(industries),
          size: 50 + Math.floor(next() * 4000),
          country: pick(countries),
        },
        source: { channel, campaign: `${channel}-${leads % 12}` },
        productInterest: pick(interests),
        timeframe: 'this_quarter',
        consent: { marketing: true },
      },
      `,"accountId":"account-${leads % 5000}"`,
    );
    const touches = 1 + Math.floor(next() * 3);
    for (let touch = 0; touch < touches; touch++) {
      at += Math.floor(1 + next() * 48) * HOUR;
      await fact('RecordTouchpoint', { kind: pick(touchKinds), channel, campaign: null });
    }
    at += HOUR;
    await fact('ProfileLead', { role: pick(roles) });
    if (next() < 0.33) continue; // stays in nurturing
    at += HOUR;
    await fact('QualifyLeadAsMql', {});
    at += HOUR;
    await fact('HandLeadToSales', { owner: pick(owners), team: null });
    at += Math.floor(1 + next() * 20) * HOUR;
    if (next() < 0.2) {
      await fact('RejectLead', { reason: 'too_early', note: null });
      continue;
    }
    await fact('AcceptLead', { note: null });
    at += 48 * HOUR;
    await fact('QualifyLeadAsSql', { criteriaMet: ['budget', 'authority', 'need'] });
    at += 24 * HOUR;
    const amount = 5_000 + Math.floor(next() * 95_000);
    await fact('OpenOpportunity', { stage: 'discovery', amount, currency: 'EUR' });
    at += 10 * 24 * HOUR;
    await fact('ChangeOpportunityStage', { to: 'proposal', amount: null });
    at += 20 * 24 * HOUR;
    if (next() < 0.4) await fact('WinDeal', { amount: null });
    else await fact('LoseDeal', { reason: pick(lossReasons), note: null });
  }
  if (chunk.length > 0) out.write(`${chunk.join('\n')}\n`);
  out.end();
  await once(out, 'finish');
  return { leads, facts };
}
