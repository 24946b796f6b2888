/**
 * Lead commands over HTTP as the suites under test/ send them: a `post` under a role, and the
 * steps most suites take a lead through (qualify it, win its deal), so each suite states only
 * what its own test is about. Every step expects the API to accept it.
 */
import type { Role } from '@tandem/domain';
import request, { type Test } from 'supertest';
import type { App } from 'supertest/types';
import { asRole } from './auth-headers';

export type PostAs = (path: string, role: Role, body?: object) => Test;

/** POSTs to the API `http()` returns (read lazily: the API starts in a hook) as `<role>-tester`. */
export const postAs =
  (http: () => App): PostAs =>
  (path, role, body = {}) =>
    request(http())
      .post(path)
      .set(asRole(role, `${role}-tester`))
      .send(body);

/** A captured lead to MQL: a demo request and an ICP role lift it over the default threshold. */
export async function qualifyAsMql(post: PostAs, leadId: string): Promise<void> {
  await post(`/leads/${leadId}/touchpoints`, 'marketing', {
    kind: 'demo_request',
    channel: 'web',
  }).expect(200);
  await post(`/leads/${leadId}/profile`, 'marketing', { role: 'cmo' }).expect(200);
  await post(`/leads/${leadId}/mql`, 'marketing').expect(200);
}

/** An MQL to an open opportunity of `amount` EUR: hand-off, accepted, SQL, opened. */
export async function openOpportunity(
  post: PostAs,
  leadId: string,
  handoff: { readonly owner: string; readonly team?: string },
  amount: number,
): Promise<void> {
  await post(`/leads/${leadId}/handoff`, 'marketing', handoff).expect(200);
  await post(`/leads/${leadId}/accept`, 'sales').expect(200);
  await post(`/leads/${leadId}/sql`, 'sales', {
    criteriaMet: ['budget', 'need', 'timeline'],
  }).expect(200);
  await post(`/leads/${leadId}/opportunity`, 'sales', {
    stage: 'discovery',
    amount,
    currency: 'EUR',
  }).expect(200);
}

/** An MQL to a won deal: hand-off, accepted, SQL, a 30,000 EUR opportunity won at 28,000. */
export async function winDeal(
  post: PostAs,
  leadId: string,
  handoff: { readonly owner: string; readonly team?: string },
): Promise<void> {
  await openOpportunity(post, leadId, handoff, 30000);
  await post(`/leads/${leadId}/won`, 'sales', { amount: 28000 }).expect(200);
}
