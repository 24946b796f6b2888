import type { Role } from '@tandem/domain';
import type { Request } from 'express';
import { recordAuthorisedActor } from '../../auth/verified-identity';
import { readIdempotencyKey } from './idempotency-key.header';
import { idempotencyScopeKey } from './idempotency-scope';
import { canonicalJson, requestFingerprint } from './request-fingerprint';

const withHeaders = (headers: Record<string, string | string[]>, url = '/leads') =>
  ({ headers, method: 'POST', originalUrl: url, path: url }) as unknown as Request;

describe('readIdempotencyKey', () => {
  it('reads a bare key and a Structured Field string alike', () => {
    expect(readIdempotencyKey(withHeaders({ 'idempotency-key': 'abc-123' }))).toEqual({
      kind: 'key',
      key: 'abc-123',
    });
    expect(readIdempotencyKey(withHeaders({ 'idempotency-key': '"abc-123"' }))).toEqual({
      kind: 'key',
      key: 'abc-123',
    });
    expect(readIdempotencyKey(withHeaders({}))).toEqual({ kind: 'absent' });
  });

  it.each([
    ['empty', ''],
    ['an empty quoted string', '""'],
    ['256 characters', 'k'.repeat(256)],
    ['a control character', 'a\tb'],
    ['non-ASCII', 'clé'],
  ])('refuses %s', (_, value) => {
    expect(readIdempotencyKey(withHeaders({ 'idempotency-key': value })).kind).toBe('invalid');
  });

  it('accepts 255 printable characters', () => {
    expect(readIdempotencyKey(withHeaders({ 'idempotency-key': '~'.repeat(255) })).kind).toBe(
      'key',
    );
  });
});

describe('idempotencyScopeKey', () => {
  /** A request as the AccessGuard leaves it once it admitted `id` under `role`. */
  const admitted = (id: string, role: Role, url = '/leads') => {
    const request = withHeaders({}, url);
    recordAuthorisedActor(request, { kind: 'user', id, role });
    return request;
  };

  it('differs by actor, role, path and key; ignores the query string', () => {
    const base = idempotencyScopeKey(admitted('ann', 'marketing'), 'k');
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(idempotencyScopeKey(admitted('ann', 'marketing', '/leads?x=1'), 'k')).toBe(base);
    expect(idempotencyScopeKey(admitted('bob', 'marketing'), 'k')).not.toBe(base);
    expect(idempotencyScopeKey(admitted('ann', 'sales'), 'k')).not.toBe(base);
    expect(idempotencyScopeKey(admitted('ann', 'marketing', '/targets'), 'k')).not.toBe(base);
    expect(idempotencyScopeKey(admitted('ann', 'marketing'), 'other')).not.toBe(base);
  });

  it("scopes a lead's route by its canonical id, as a canonical path hashed before", () => {
    const onRoute = (url: string, leadId: string) => {
      const request = admitted('ann', 'marketing', url);
      Object.assign(request, {
        route: { path: '/leads/:leadId/touchpoints' },
        params: { leadId },
      });
      return request;
    };
    const id = '0190d0b0-3c4a-7b2e-9f10-aa11bb22cc33';
    const canonical = idempotencyScopeKey(
      admitted('ann', 'marketing', `/leads/${id}/touchpoints`),
      'k',
    );
    for (const [url, leadId] of [
      [`/leads/${id}/touchpoints`, id],
      [`/leads/${id.toUpperCase()}/touchpoints`, id.toUpperCase()],
      [`/LEADS/${id}/touchpoints/`, id],
    ] as const) {
      expect(idempotencyScopeKey(onRoute(url, leadId), 'k')).toBe(canonical);
    }
    expect(idempotencyScopeKey(onRoute('/leads/HubSpot:007/touchpoints', 'HubSpot:007'), 'k')).toBe(
      idempotencyScopeKey(admitted('ann', 'marketing', '/leads/hubspot:7/touchpoints'), 'k'),
    );
    expect(idempotencyScopeKey(onRoute('/leads/hubspot:8/touchpoints', 'hubspot:8'), 'k')).not.toBe(
      idempotencyScopeKey(admitted('ann', 'marketing', '/leads/hubspot:7/touchpoints'), 'k'),
    );
  });

  it('has no scope for a caller the guard did not admit, whatever headers it sends', () => {
    const claimed = withHeaders({ 'x-tandem-role': 'ops', 'x-tandem-actor': 'ceo' });
    expect(idempotencyScopeKey(claimed, 'k')).toBeNull();
  });
});

describe('requestFingerprint', () => {
  it('ignores key order and formatting, not values', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: null }] })).toBe('{"a":[{"c":null,"d":2}],"b":1}');
    expect(requestFingerprint({ a: 1, b: 2 })).toBe(requestFingerprint({ b: 2, a: 1 }));
    expect(requestFingerprint({ a: 1 })).not.toBe(requestFingerprint({ a: 2 }));
    expect(requestFingerprint(undefined)).toBe(requestFingerprint({}));
  });
});
