import type { z } from 'zod';
import { contactSchema, eventDataSchemas } from './event-schemas';
import { leadCommandBodies } from './lead-command-bodies';
import {
  amountSchema,
  businessDateSchema,
  businessTimeSchema,
  commandTimeSchema,
  FUTURE_SKEW_MS,
  idTextSchema,
  leadIdSchema,
  noteSchema,
  planningPeriodSchema,
  positiveAmountSchema,
  storedTextSchema,
  textSchema,
} from './value-bounds';

const accepts = (schema: { safeParse(value: unknown): { success: boolean } }, value: unknown) =>
  schema.safeParse(value).success;

describe('value bounds', () => {
  it('business time: DateTime64(3) range, a zone required, seconds required', () => {
    expect(accepts(businessTimeSchema, '1900-01-01T00:00:00.000Z')).toBe(true);
    expect(accepts(businessTimeSchema, '1899-12-31T23:59:59.999Z')).toBe(false);
    // 00:30 at +01:00 is 23:30 the day before in UTC: before the range.
    expect(accepts(businessTimeSchema, '1900-01-01T00:30:00+01:00')).toBe(false);
    expect(accepts(businessTimeSchema, '2299-12-31T23:59:59.999Z')).toBe(true);
    expect(accepts(businessTimeSchema, '2300-01-01T00:00:00.000Z')).toBe(false);
    expect(accepts(businessTimeSchema, '2024-01-01T00:00:00')).toBe(false);
    expect(accepts(businessTimeSchema, '2024-01-01T00:00Z')).toBe(false);
    expect(accepts(businessTimeSchema, '2024-02-30T00:00:00Z')).toBe(false);
  });

  it('command time: in range and not further ahead than the allowed clock skew', () => {
    const now = Date.now();
    expect(accepts(commandTimeSchema, new Date(now).toISOString())).toBe(true);
    expect(accepts(commandTimeSchema, new Date(now + 2 * FUTURE_SKEW_MS).toISOString())).toBe(
      false,
    );
    expect(accepts(commandTimeSchema, '1899-12-31T23:59:59.999Z')).toBe(false);
  });

  it('business dates and target periods fit Date32', () => {
    expect(accepts(businessDateSchema, '1900-01-01')).toBe(true);
    expect(accepts(businessDateSchema, '1899-12-31')).toBe(false);
    expect(accepts(businessDateSchema, '2299-12-31')).toBe(true);
    expect(accepts(businessDateSchema, '2300-01-01')).toBe(false);
    expect(accepts(planningPeriodSchema, '1900-01')).toBe(true);
    expect(accepts(planningPeriodSchema, '1899-Q4')).toBe(false);
    expect(accepts(planningPeriodSchema, '2298-Q4')).toBe(true);
    expect(accepts(planningPeriodSchema, '2299-01')).toBe(false);
    expect(accepts(planningPeriodSchema, '2024-13')).toBe(false);
  });

  it('a time, date or period the format refuses is told that alone, not that it is out of range', () => {
    const messages = (schema: z.ZodType, value: string) =>
      (schema.safeParse(value).error?.issues ?? []).map((issue) => issue.message);
    // A leap second, a minute offset of 60, a 13th month: each was also "must be from 1900…"
    // and, as a command time, "must not be in the future", though it is 2016.
    for (const value of [
      '2016-12-31T23:59:60Z',
      '2020-01-01T00:00:00+00:60',
      '2020-13-01T00:00:00Z',
      'soon',
    ]) {
      expect({ value, messages: messages(commandTimeSchema, value) }).toEqual({
        value,
        messages: ['Invalid ISO datetime'],
      });
    }
    for (const value of ['', '15/01/2026', 'x2026-01-15']) {
      expect({ value, messages: messages(businessDateSchema, value) }).toEqual({
        value,
        messages: ['Invalid ISO date'],
      });
    }
    for (const value of ['', 'Q1-2026']) {
      expect({ value, messages: messages(planningPeriodSchema, value) }).toEqual({
        value,
        messages: ['must be YYYY-MM or YYYY-Qn'],
      });
    }
    // A well-formed value out of range still names the range.
    expect(messages(commandTimeSchema, '1899-12-31T23:59:59.999Z')).toEqual([
      'must be from 1900-01-01T00:00:00Z to before 2300-01-01T00:00:00Z',
    ]);
    expect(messages(businessDateSchema, '1899-12-31')).toEqual([
      'must be a date from 1900-01-01 to 2299-12-31',
    ]);
  });

  it('amounts: Decimal(38, 4), 0..1e12', () => {
    for (const ok of [0, 0.0001, 1.5, 12000.1234, 1e12])
      expect(accepts(amountSchema, ok)).toBe(true);
    for (const bad of [-0.01, 0.00001, 1.23456, 0.1 + 0.2, 1e12 + 1, Number.NaN, Infinity]) {
      expect(accepts(amountSchema, bad)).toBe(false);
    }
    expect(accepts(positiveAmountSchema, 0)).toBe(false);
    expect(accepts(positiveAmountSchema, 0.0001)).toBe(true);
  });

  it('text: trimmed 1–500, nothing PostgreSQL jsonb cannot store', () => {
    expect(textSchema.parse('  Acme ')).toBe('Acme');
    expect(accepts(textSchema, '   ')).toBe(false);
    expect(accepts(textSchema, 'a'.repeat(501))).toBe(false);
    expect(accepts(textSchema, 'a\u0000b')).toBe(false);
    expect(accepts(textSchema, 'a\uD800b')).toBe(false);
    expect(accepts(textSchema, 'emoji \uD83D\uDE00 ok')).toBe(true);
    expect(accepts(noteSchema, '')).toBe(true);
    expect(accepts(noteSchema, '\uDC00')).toBe(false);
  });

  it('labels and ids refuse invisible and bidi control characters, naming the code point only', () => {
    // A channel `w\u200Beb` was a row of its own beside `web`; a campaign with U+202E showed
    // its letters in another order than stored (Trojan Source).
    const refusal = (schema: z.ZodType, value: string) =>
      schema.safeParse(value).error?.issues.map((issue) => issue.message);
    const hidden = (codePoint: string) =>
      `must not contain ${codePoint}, an invisible or bidirectional control character`;
    for (const [value, codePoint] of [
      ['w\u200Beb', 'U+200B'],
      ['web\u2060', 'U+2060'],
      ['w\uFEFFeb', 'U+FEFF'],
      ['pay\u00ADment', 'U+00AD'],
      ['spring \u202Egnirps', 'U+202E'],
      ['a\u2066b\u2069', 'U+2066'],
      ['x\u200Fy', 'U+200F'],
      ['\u3164web', 'U+3164'],
      ['web\u{E0041}\u{E0042}', 'U+E0041'],
      // A joiner or variation selector after a Latin letter only hides.
      ['w\u200Deb', 'U+200D'],
      ['w\u200Ceb', 'U+200C'],
      ['web\uFE0F', 'U+FE0F'],
      // trim() takes U+FEFF for a space: `\uFEFFweb` was stored as `web`, accepted.
      ['\uFEFFweb', 'U+FEFF'],
      ['web\uFEFF', 'U+FEFF'],
      [' \uFEFF web ', 'U+FEFF'],
    ] as const) {
      expect([value, refusal(textSchema, value)]).toEqual([value, [hidden(codePoint)]]);
      expect([value, refusal(idTextSchema, value)]).toEqual([value, [hidden(codePoint)]]);
    }
    // Tag characters only in a subdivision flag's form; U+FE0F after ASCII only in a keycap.
    const tags = (ascii: string) =>
      [...ascii].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
    const flag = (spec: string) => `\u{1F3F4}${tags(spec)}\u{E007F}`;
    for (const [value, codePoint] of [
      [`web${tags('admin')}\u{E007F}`, 'U+E0061'],
      [`\u{1F3F4}${tags('gbeng')}`, 'U+E0067'],
      [`web${tags('gbeng')}\u{E007F}`, 'U+E0067'],
      [flag('GBENG'), 'U+E0047'],
      [flag('gb eng'), 'U+E0067'],
      [flag('gbengland'), 'U+E0067'],
      [`${flag('gbeng')} web\u{E007F}`, 'U+E007F'],
      ['a\uFE0F\u20E3', 'U+FE0F'],
      ['1\uFE0F', 'U+FE0F'],
      ['1\uFE0F\uFE0F\u20E3', 'U+FE0F'],
    ] as const) {
      expect([value, refusal(textSchema, value)]).toEqual([value, [hidden(codePoint)]]);
    }
    // ZWNJ and ZWJ spell Persian and Indic words and emoji; a variation selector an emoji.
    for (const value of [
      `${flag('gbeng')} fans`,
      `${flag('gbsct')}${flag('gbwls')} tour`,
      `region ${flag('usca')}`,
      `${flag('001ab')} a region of digits`,
      'room 1\uFE0F\u20E3',
      '#\uFE0F\u20E3 *\uFE0F\u20E3 9\uFE0F\u20E3',
      '1\u20E3 keycap without a selector',
      'می\u200Cخواهم',
      '\u0915\u094D\u200D\u0937',
      '\u{1F468}\u200D\u{1F469}\u200D\u{1F467} family',
      'love \u2764\uFE0F\u200D\u{1F525}',
      'web',
    ]) {
      expect([value, accepts(textSchema, value)]).toEqual([value, true]);
    }
    // Notes are prose, not a label rows group by; stored events decode as recorded.
    expect(accepts(noteSchema, 'x\u200Fy')).toBe(true);
    expect(storedTextSchema.parse('w\u200Beb')).toBe('w\u200Beb');
  });

  it('text of a new command is taken in NFC; ids a client names and stored events are not', () => {
    const composed = 'Caf\u00e9';
    const decomposed = 'Cafe\u0301';
    expect(textSchema.parse(` ${decomposed} `)).toBe(composed);
    expect(noteSchema.parse(`${decomposed} au lait`)).toBe(`${composed} au lait`);
    expect(contactSchema.parse({ name: decomposed, email: 'a@example.com' }).name).toBe(composed);
    const touch = leadCommandBodies.RecordTouchpoint.parse({
      touchpointId: `visit-${decomposed}`,
      kind: 'page_view',
      channel: decomposed,
      campaign: decomposed,
      content: decomposed,
    });
    expect(touch).toEqual({
      touchpointId: `visit-${decomposed}`,
      kind: 'page_view',
      channel: composed,
      campaign: composed,
      content: composed,
    });
    expect(idTextSchema.parse(` ${decomposed} `)).toBe(decomposed);
    // Bounds hold for the stored, composed text: 500 decomposed é are 500 characters in NFC.
    expect(textSchema.parse('e\u0301'.repeat(500))).toBe('\u00e9'.repeat(500));
    // History is read as recorded: the decoder never rewrites a stored event's text.
    expect(storedTextSchema.parse(decomposed)).toBe(decomposed);
    const recorded = {
      touchpointId: 't-1',
      kind: 'page_view',
      channel: decomposed,
      campaign: null,
      content: null,
    };
    expect(eventDataSchemas.TouchpointRecorded.parse(recorded)).toMatchObject({
      channel: decomposed,
    });
  });

  it('a phone number: up to 40 characters, nothing jsonb cannot store or sealing would change', () => {
    const contact = (phone: string) => ({ name: 'Ann', email: 'ann@example.com', phone });
    expect(accepts(contactSchema, contact('+39 02 1234 5678'))).toBe(true);
    expect(accepts(contactSchema, contact('1'.repeat(41)))).toBe(false);
    expect(accepts(contactSchema, contact('+39 \u0000'))).toBe(false);
    expect(accepts(contactSchema, contact('+39 \uD800'))).toBe(false);
  });

  it('a phone, when given, is trimmed and must not be blank, like the name', () => {
    const contact = (phone: string) => ({ name: 'Ann', email: 'ann@example.com', phone });
    for (const blank of ['', '   ', '\t\n']) {
      expect(accepts(contactSchema, contact(blank))).toBe(false);
    }
    expect(contactSchema.parse(contact(' +39 02 1234 5678 ')).phone).toBe('+39 02 1234 5678');
    expect(accepts(contactSchema, { name: 'Ann', email: 'ann@example.com' })).toBe(true);
    expect(accepts(contactSchema, { ...contact('+39'), name: '   ' })).toBe(false);
  });

  it('lead ids are parsed to their canonical form, a bad one names the problem', () => {
    expect(leadIdSchema.parse('HubSpot:0042')).toBe('hubspot:42');
    const refused = leadIdSchema.safeParse('hubspot:x');
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toMatch(/hubspot id that is not a number/);
  });
});
