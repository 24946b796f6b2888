import { evolveLead, initialLeadState } from './lead.state';
import type { LeadEvent } from './lead.events';
import {
  ERASED_VALUE,
  isPersonalGiven,
  isSealedValue,
  mapPersonalFields,
  personalFields,
} from './lead.personal-data';

const sealed = { $pii: 'v1:AAAA' };
const captured = (contact: { name: unknown; email: unknown; phone?: unknown }): LeadEvent =>
  ({
    type: 'LeadCaptured',
    data: {
      contact,
      company: { name: 'Hopper & Co', industry: 'software', size: 12, country: 'US' },
      source: { channel: 'web' },
      productInterest: 'analytics',
      timeframe: 'now',
      consent: { marketing: true },
    },
  }) as LeadEvent;

describe('personal data declaration', () => {
  it('declares the contact, the company name, free text — and nothing the rules score on', () => {
    expect(personalFields.LeadCaptured.map((path) => path.join('.'))).toEqual([
      'contact.name',
      'contact.email',
      'contact.phone',
      'company.name',
      'source.content',
    ]);
    expect(personalFields.TouchpointRecorded).toEqual([['content']]);
    expect(personalFields.LeadProfiled).toEqual([]);
    expect(personalFields.LeadErased).toEqual([]);
  });

  it('maps exactly the declared fields, leaving null and absent ones alone', () => {
    const event = captured({ name: 'Grace', email: 'g@navy.example' });
    const mapped = mapPersonalFields(event.type, event.data, () => ERASED_VALUE);
    expect(mapped.contact).toEqual({ name: ERASED_VALUE, email: ERASED_VALUE });
    expect(mapped.company).toEqual({
      name: ERASED_VALUE,
      industry: 'software',
      size: 12,
      country: 'US',
    });
    expect(mapPersonalFields('DealLost', { reason: 'price', note: null }, () => 'x')).toEqual({
      reason: 'price',
      note: null,
    });
    expect(mapPersonalFields('SomethingElse', { a: 'b' }, () => 'x')).toEqual({ a: 'b' });
  });

  it('maps a capture’s UTM content from v2 on, and leaves a v1 capture’s as v1 declares it', () => {
    const data = {
      ...captured({ name: 'Grace', email: 'g@navy.example' }).data,
      source: { channel: 'email', medium: 'newsletter', content: 'grace@navy.example' },
    };
    const source = (schemaVersion?: number) =>
      mapPersonalFields('LeadCaptured', data, () => ERASED_VALUE, schemaVersion).source;
    const mapped = { channel: 'email', medium: 'newsletter', content: ERASED_VALUE };
    expect(source(2)).toEqual(mapped);
    expect(source()).toEqual(mapped); // no version: the current one (decoded, upcast events)
    expect(source(1)).toEqual(data.source);
    // the fields every version declared are mapped at v1 too
    expect(mapPersonalFields('LeadCaptured', data, () => ERASED_VALUE, 1).contact).toEqual({
      name: ERASED_VALUE,
      email: ERASED_VALUE,
    });
  });

  it('tells a sealed value from text, and a given value from a blank one', () => {
    expect(isSealedValue(sealed)).toBe(true);
    expect(isSealedValue({ $pii: 'v1:AAAA', more: 1 })).toBe(false);
    expect(isSealedValue('v1:AAAA')).toBe(false);
    expect(isPersonalGiven(sealed)).toBe(true);
    expect(isPersonalGiven('  ')).toBe(false);
    expect(isPersonalGiven(null)).toBe(false);
  });

  it('a lead folded from sealed events has the facts of one folded from plain ones', () => {
    const at = '2026-01-01T00:00:00.000Z';
    const plain = evolveLead(initialLeadState(), captured({ name: 'Grace', email: 'g@x.io' }), at);
    const fromSealed = evolveLead(
      initialLeadState(),
      captured({ name: sealed, email: sealed, phone: sealed }),
      at,
    );
    expect(fromSealed).toEqual(plain);
    expect(JSON.stringify(plain)).not.toContain('Grace');
  });
});
