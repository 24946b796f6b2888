/**
 * A short content fingerprint of a funnel definition, so two readers can tell
 * whether they speak of the same rules without comparing documents: SHA-256 of
 * the canonical JSON (object keys sorted at every depth, arrays in order), first
 * 16 lowercase hex characters. Same content in any key order → same hash; any
 * change of content → a different hash. It must never depend on anything but the
 * definition (no clock, no environment).
 */
// Hashing is pure computation, not I/O: the one node: import libs/domain allows itself.
// eslint-disable-next-line no-restricted-imports
import { createHash } from 'node:crypto';
import type { FunnelDefinition } from './funnel-definition';

/** JSON with object keys sorted recursively; `undefined` members are left out, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 of the text's UTF-8 bytes, lower-case hex (also names a campaign's digest stream). */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function definitionHash(definition: FunnelDefinition): string {
  return sha256Hex(canonicalJson(definition)).slice(0, 16);
}
