/**
 * A CRM's lead source as a Tandem channel, for the HubSpot and Salesforce presets. Each preset
 * keeps its own table of the CRM's standard values (next to its industries and roles) and maps
 * them onto the channel codes live captures, the demo and the sample use (`paid_search`,
 * `social_ads`, `referral`, `event`, `trade_fair`, `webinar`, `email`, `web` …): a lower-cased
 * `REFERRALS` would count apart from the `referral` leads captured live, splitting one channel
 * in two in the marketing lens and in attribution. A value the table lacks keeps the preset's
 * own normalisation, so no source is ever dropped. The sales-sourced path's source is read
 * from the channel, so the two can never disagree. Never refuses a row.
 */

/** The key a table is looked up by: `Trade Show`, `trade-show` and `TRADE_SHOW` are one. */
export function sourceKey(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * What a preset's table (industries, roles, reasons, stages, channels) says for `key`, or
 * undefined: only the table's own entries, so a cell reading `constructor` or `__proto__` is
 * looked up as the text it is, never as Object.prototype's member.
 */
export function lookup(table: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** The channel a table maps `value` to, or `fallback` (the preset's plain normalisation). */
export function channelOf(
  value: string,
  table: Readonly<Record<string, string>>,
  fallback: string,
): string {
  return lookup(table, sourceKey(value)) ?? fallback;
}

/** Channels whose leads, handed to sales without an MQL, came through the sales-sourced path. */
const salesSourcedBy: Readonly<Record<string, string>> = {
  event: 'event_contact',
  trade_fair: 'event_contact',
  referral: 'referral',
};

/** The sales-sourced source of a lead captured from `channel`: `outbound` unless met or referred. */
export function salesSourceOf(channel: string): string {
  return lookup(salesSourcedBy, channel) ?? 'outbound';
}
