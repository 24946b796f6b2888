/**
 * The lead journeys bench:api and bench:live send through the HTTP API: capture, eight
 * touchpoints, profile, the MQL decision, the hand-off. One definition, so the two benchmarks
 * measure the same commands; `label` ('Bench', 'Live') names what each one writes, so their
 * leads are told apart in a shared store.
 */

export interface JourneyRequest {
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly role: 'marketing' | 'sales';
  /** A refusal (422) is the rules deciding: a handled command, and the journey ends. */
  readonly gate?: boolean;
}

const touchpointKinds = ['page_view', 'content_download', 'email_click', 'webinar', 'ad_click'];

/** A capture's data, derived from the lead id so a rerun writes the same shape. */
export function captureBody(leadId: string, label: string) {
  const n = Number.parseInt(leadId.slice(0, 4), 16);
  return {
    contact: {
      name: `${label} Lead ${n}`,
      email: `${label.toLowerCase()}.${leadId.slice(0, 8)}@example.com`,
    },
    company: {
      name: `${label} Account ${n % 500}`,
      industry: n % 3 === 0 ? 'retail' : 'software',
      size: 50 + (n % 2000),
      country: n % 5 === 0 ? 'BR' : 'DE',
    },
    source: { channel: 'paid_search', campaign: 'search-generic', medium: 'paid' },
    productInterest: 'funnel_analytics',
    timeframe: '3_months',
    consent: { marketing: true },
  };
}

/** POST /leads for `leadId`; `extra` adds fields such as an account id or a business time. */
export function captureRequest(
  leadId: string,
  label: string,
  extra: Record<string, unknown> = {},
): JourneyRequest {
  return {
    path: '/leads',
    role: 'marketing',
    body: { leadId, ...extra, ...captureBody(leadId, label) },
  };
}

export function touchpointRequest(leadId: string, i: number): JourneyRequest {
  return {
    path: `/leads/${leadId}/touchpoints`,
    role: 'marketing',
    body: {
      kind: touchpointKinds[i % touchpointKinds.length],
      channel: 'paid_search',
      campaign: 'search-generic',
    },
  };
}

/** One lead's commands after its capture: most become one event each; the MQL may be refused. */
export function journeyAfterCapture(leadId: string): JourneyRequest[] {
  return [
    ...Array.from({ length: 8 }, (_, i) => touchpointRequest(leadId, i)),
    { path: `/leads/${leadId}/profile`, role: 'marketing', body: { role: 'cmo' } },
    { path: `/leads/${leadId}/mql`, role: 'marketing', body: {}, gate: true },
    {
      path: `/leads/${leadId}/handoff`,
      role: 'marketing',
      body: { owner: 'giulia.bianchi', team: 'emea' },
    },
  ];
}
