/**
 * Exact-match filters applied to report rows in TypeScript, for dimensions the report SQL has
 * no parameter for (channel, campaign, owner, team, account). Case-sensitive, whole value; an
 * absent criterion does not filter. Pure: the SQL never sees these strings.
 */

export const rowFilters = ['channel', 'campaign', 'owner', 'team', 'account'] as const;
export type RowFilter = (typeof rowFilters)[number];

export function filterRows<Row, Key extends keyof Row>(
  rows: readonly Row[],
  criteria: Partial<Record<Key, string | undefined>>,
): Row[] {
  const active = (Object.entries(criteria) as [Key, string | undefined][]).filter(
    (entry): entry is [Key, string] => entry[1] !== undefined,
  );
  if (active.length === 0) return [...rows];
  return rows.filter((row) => active.every(([key, value]) => row[key] === value));
}
