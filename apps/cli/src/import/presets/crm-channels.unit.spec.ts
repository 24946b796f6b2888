import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ImportSource } from '../import-fact';
import { readHubspotExport } from './hubspot.preset';
import { readSalesforceExport } from './salesforce.preset';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tandem-crm-channels-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Each lead's capture channel and, when it went straight to sales, its sales source. */
function sources({ rows }: ImportSource): { channel: unknown; salesSource?: unknown }[] {
  const byLead = new Map<string, { channel: unknown; salesSource?: unknown }>();
  for (const row of rows) {
    if (!row.ok) throw new Error(`refused: ${row.reason}`);
    const { leadId, type, data } = row.fact;
    if (type === 'CaptureLead')
      byLead.set(leadId, { channel: (data.source as { channel: unknown }).channel });
    if (type === 'HandLeadToSalesDirectly')
      byLead.set(leadId, { ...byLead.get(leadId)!, salesSource: data.source });
  }
  return [...byLead.values()];
}

describe('the HubSpot preset: original source → channel', () => {
  const contacts = async (values: readonly string[], sqlDate = '') => {
    const file = path.join(dir, 'contacts.csv');
    const lines = values.map(
      (source, index) => `${index + 1},2025-01-01,c${index}@x.example,${source},${sqlDate}`,
    );
    await writeFile(
      file,
      [
        'hs_object_id,createdate,email,hs_analytics_source,hs_lifecyclestage_salesqualifiedlead_date',
        ...lines,
      ].join('\n'),
    );
    return sources(await readHubspotExport([file]));
  };

  it.each([
    ['ORGANIC_SEARCH', 'organic_search'],
    ['PAID_SEARCH', 'paid_search'],
    ['EMAIL_MARKETING', 'email'],
    ['SOCIAL_MEDIA', 'organic_social'],
    ['PAID_SOCIAL', 'social_ads'],
    ['REFERRALS', 'referral'],
    ['AI_REFERRALS', 'ai_referral'],
    ['OTHER_CAMPAIGNS', 'other_campaigns'],
    ['DIRECT_TRAFFIC', 'web'],
    ['OFFLINE', 'event'],
    ['Offline Sources', 'event'], // an export of labels rather than internal names
    ['Paid Social', 'social_ads'],
  ])('%s is the channel %s', async (source, channel) => {
    expect(await contacts([source])).toEqual([{ channel }]);
  });

  it('keeps a value its table lacks, lower-cased as before: nothing is dropped', async () => {
    expect(await contacts(['PODCAST_SPONSORSHIP', ''])).toEqual([
      { channel: 'podcast_sponsorship' },
      { channel: 'unknown' },
    ]);
  });

  it('reads the sales-sourced source from the channel', async () => {
    expect(
      await contacts(['OFFLINE', 'Offline Sources', 'REFERRALS', 'PAID_SEARCH'], '2025-01-02'),
    ).toEqual([
      { channel: 'event', salesSource: 'event_contact' },
      { channel: 'event', salesSource: 'event_contact' },
      { channel: 'referral', salesSource: 'referral' },
      { channel: 'paid_search', salesSource: 'outbound' },
    ]);
  });
});

describe('the Salesforce preset: LeadSource → channel', () => {
  const leads = async (values: readonly string[], status = '') => {
    const file = path.join(dir, 'Leads.csv');
    await writeFile(
      file,
      [
        'Id,CreatedDate,Email,LeadSource',
        ...values.map(
          (source, index) =>
            `00Q5e00000AbC${String(index).padStart(2, '0')},2025-01-01,l${index}@x.example,${source}`,
        ),
      ].join('\n'),
    );
    const files = [file];
    if (status !== '') {
      const history = path.join(dir, 'LeadHistory.csv');
      await writeFile(
        history,
        [
          'LeadId,Field,NewValue,CreatedDate',
          ...values.map(
            (_, index) =>
              `00Q5e00000AbC${String(index).padStart(2, '0')},Status,${status},2025-01-02`,
          ),
        ].join('\n'),
      );
      files.push(history);
    }
    return sources(await readSalesforceExport(files));
  };

  it.each([
    ['Web', 'web'],
    ['Phone Inquiry', 'phone'],
    ['Partner Referral', 'referral'],
    ['Employee Referral', 'referral'],
    ['External Referral', 'referral'],
    ['Word of mouth', 'referral'],
    ['Purchased List', 'purchased_list'],
    ['Other', 'other'],
    ['Trade Show', 'trade_fair'],
    ['Event', 'event'],
    ['Seminar - Partner', 'event'],
    ['Webinar', 'webinar'],
    ['Advertisement', 'advertising'],
    ['Email', 'email'],
    ['Google AdWords', 'paid_search'],
  ])('%s is the channel %s', async (source, channel) => {
    expect(await leads([source])).toEqual([{ channel }]);
  });

  it('keeps a value its table lacks, normalised as before: nothing is dropped', async () => {
    expect(await leads(['Podcast Sponsorship', 'constructor'])).toEqual([
      { channel: 'podcast_sponsorship' },
      { channel: 'constructor' },
    ]);
  });

  it('reads the sales-sourced source from the channel', async () => {
    expect(
      await leads(['Trade Show', 'Seminar - Internal', 'Word of mouth', 'Web'], 'Sales Accepted'),
    ).toEqual([
      { channel: 'trade_fair', salesSource: 'event_contact' },
      { channel: 'event', salesSource: 'event_contact' },
      { channel: 'referral', salesSource: 'referral' },
      { channel: 'web', salesSource: 'outbound' },
    ]);
  });
});
