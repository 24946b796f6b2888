import { DomainError } from '../errors';
import {
  canonicalLeadId,
  InvalidLeadIdError,
  MAX_LEAD_ID_LENGTH,
  parseLeadId,
  salesforceSuffix,
} from './lead-id';

const problemOf = (raw: unknown): string => {
  const outcome = parseLeadId(raw);
  if (outcome.ok) throw new Error(`expected ${String(raw)} to be refused`);
  return outcome.problem;
};

describe('canonicalLeadId', () => {
  describe('UUIDs', () => {
    it('lower-cases a UUID in any case, so both spellings are one lead', () => {
      const lower = '0190d0b0-abcd-7000-8000-00000000ffee';
      expect(canonicalLeadId(lower)).toBe(lower);
      expect(canonicalLeadId(lower.toUpperCase())).toBe(lower);
      expect(canonicalLeadId('0190D0b0-AbCd-7000-8000-00000000FfEe')).toBe(lower);
    });

    it('ignores surrounding whitespace', () => {
      expect(canonicalLeadId('  0190d0b0-abcd-7000-8000-00000000ffee\t')).toBe(
        '0190d0b0-abcd-7000-8000-00000000ffee',
      );
    });

    it('refuses a UUID without hyphens or with a stray character', () => {
      expect(problemOf('0190d0b0abcd70008000000000000fee')).toMatch(/UUID or <system>:<id>/);
      expect(problemOf('0190d0b0-abcd-7000-8000-00000000ffeg')).toMatch(/UUID or <system>:<id>/);
    });
  });

  describe('HubSpot', () => {
    it('lower-cases the system and keeps the number without leading zeros', () => {
      expect(canonicalLeadId('hubspot:1234')).toBe('hubspot:1234');
      expect(canonicalLeadId('HubSpot:1234')).toBe('hubspot:1234');
      expect(canonicalLeadId('HUBSPOT:001234')).toBe('hubspot:1234');
    });

    it('refuses a non-numeric, zero or out-of-int64 id', () => {
      expect(problemOf('hubspot:12a4')).toMatch(/hubspot id that is not a number/);
      expect(problemOf('hubspot:-5')).toMatch(/not a number/);
      expect(problemOf('hubspot:0')).toMatch(/outside 1\.\.9223372036854775807/);
      expect(problemOf('hubspot:9223372036854775808')).toMatch(/outside/);
      expect(canonicalLeadId('hubspot:9223372036854775807')).toBe('hubspot:9223372036854775807');
    });
  });

  describe('Salesforce', () => {
    // Salesforce's documented example pair: 001A0000006Vm9r is 001A0000006Vm9rIAC.
    it('computes the documented 18-character suffix', () => {
      expect(salesforceSuffix('001A0000006Vm9r')).toBe('IAC');
      expect(canonicalLeadId('salesforce:001A0000006Vm9r')).toBe('salesforce:001A0000006Vm9rIAC');
    });

    it('makes the 15- and 18-character forms of one record one lead', () => {
      const id15 = '00Q5e00000AbCdE';
      const canonical = canonicalLeadId(`salesforce:${id15}`);
      expect(canonical).toBe(`salesforce:${id15}${salesforceSuffix(id15)}`);
      expect(canonicalLeadId(canonical)).toBe(canonical);
      expect(canonicalLeadId(`SalesForce:${id15}${salesforceSuffix(id15)}`)).toBe(canonical);
    });

    it('restores the case of an 18-character id from its suffix, whatever case it arrives in', () => {
      const canonical = 'salesforce:001A0000006Vm9rIAC';
      expect(canonicalLeadId('salesforce:001a0000006vm9riac')).toBe(canonical);
      expect(canonicalLeadId('SALESFORCE:001A0000006VM9RIAC')).toBe(canonical);
    });

    it('keeps 15-character ids that differ only in case apart: they are different records', () => {
      const upper = canonicalLeadId('salesforce:00Q5e00000ABCDE');
      const lower = canonicalLeadId('salesforce:00Q5e00000abcde');
      expect(upper).not.toBe(lower);
      expect(upper).toMatch(/^salesforce:00Q5e00000ABCDE[A-Z0-5]{3}$/);
      expect(lower).toMatch(/^salesforce:00Q5e00000abcde[A-Z0-5]{3}$/);
    });

    it('refuses other lengths, other characters and a suffix that cannot be the checksum', () => {
      expect(problemOf('salesforce:00Q5e00000AbCd')).toMatch(/not 15 or 18 letters and digits/);
      expect(problemOf('salesforce:00Q5e00000AbCdE_')).toMatch(/not 15 or 18/);
      // '5' (all five bits) sets an upper-case bit on the digits of the first block.
      expect(problemOf('salesforce:001A0000006Vm9r5AC')).toMatch(/do not match/);
      expect(problemOf('salesforce:001A0000006Vm9r*AC')).toMatch(/not 15 or 18/);
    });

    it('refuses an 18-character id whose fifteen keep their case and whose suffix is not its checksum', () => {
      // The letters' case as written says IAC: a suffix telling another case is a bad id.
      expect(problemOf('salesforce:001A0000006Vm9rIAD')).toMatch(
        /do not match: 001A0000006Vm9r has the checksum IAC/,
      );
      expect(problemOf('salesforce:001A0000006Vm9riab')).toMatch(/do not match/);
      // The 15 in one case only (upper- or lower-cased by a tool): the suffix restores it.
      expect(canonicalLeadId('salesforce:001A0000006VM9RIAC')).toBe(
        'salesforce:001A0000006Vm9rIAC',
      );
    });
  });

  describe('other systems', () => {
    it('lower-cases the system and keeps the id as given, case included', () => {
      expect(canonicalLeadId('Pipedrive:Person-42.a_B')).toBe('pipedrive:Person-42.a_B');
      expect(canonicalLeadId('pipedrive:abc')).not.toBe(canonicalLeadId('pipedrive:ABC'));
    });

    it('refuses an empty or malformed system name and ids that are not URL-path safe', () => {
      expect(problemOf(':1234')).toMatch(/system name/);
      expect(problemOf('9crm:1234')).toMatch(/system name/);
      expect(problemOf('crm:')).toMatch(/crm id that is not/);
      expect(problemOf('crm:a/b')).toMatch(/crm id that is not/);
      expect(problemOf('crm:a:b')).toMatch(/crm id that is not/);
      expect(problemOf('crm:-a')).toMatch(/crm id that is not/);
    });
  });

  describe('ids that name no record', () => {
    it('refuses the nil and max UUIDs, placeholders rather than ids', () => {
      expect(problemOf('00000000-0000-0000-0000-000000000000')).toMatch(/nil or max UUID/);
      expect(problemOf('FFFFFFFF-ffff-FFFF-ffff-FFFFFFFFFFFF')).toMatch(/nil or max UUID/);
      expect(canonicalLeadId('00000000-0000-0000-0000-000000000001')).toBe(
        '00000000-0000-0000-0000-000000000001',
      );
    });

    it("refuses Salesforce's empty key (key prefix 000), in either length", () => {
      expect(problemOf('salesforce:000000000000000')).toMatch(/key prefix 000/);
      expect(problemOf('salesforce:000000000000000AAA')).toMatch(/key prefix 000/);
      expect(problemOf('salesforce:000A0000006Vm9r')).toMatch(/key prefix 000/);
      expect(canonicalLeadId('salesforce:00Q000000000001')).toBe(
        `salesforce:00Q000000000001${salesforceSuffix('00Q000000000001')}`,
      );
    });

    it("refuses another system's id of zeros only, and keeps ids that merely hold zeros", () => {
      expect(problemOf('zoho:0')).toMatch(/zoho id of zeros only/);
      expect(problemOf('pipedrive:000')).toMatch(/zeros only/);
      expect(problemOf('dynamics:00000000-0000-0000-0000-000000000000')).toMatch(/zeros only/);
      expect(problemOf('crm:0.0_0')).toMatch(/zeros only/);
      expect(canonicalLeadId('zoho:0001')).toBe('zoho:0001');
      expect(canonicalLeadId('crm:0a')).toBe('crm:0a');
    });
  });

  it('refuses empty, non-string and overlong input', () => {
    expect(problemOf('')).toMatch(/must not be empty/);
    expect(problemOf('   ')).toMatch(/must not be empty/);
    expect(problemOf(42)).toMatch(/must be a string/);
    expect(problemOf(`crm:${'a'.repeat(MAX_LEAD_ID_LENGTH)}`)).toMatch(/at most 200 characters/);
    expect(problemOf('1234')).toMatch(/UUID or <system>:<id>/);
  });

  it('refuses U+FEFF, which trim() drops from either end: the id differs from what was sent', () => {
    // `\uFEFFhubspot:1` was canonicalised to hubspot:1 and accepted; spaces still are trimmed.
    const hidden = 'must not contain U+FEFF, an invisible or bidirectional control character';
    expect(problemOf('\uFEFFhubspot:1')).toBe(hidden);
    expect(problemOf('hubspot:1\uFEFF')).toBe(hidden);
    expect(canonicalLeadId(' hubspot:1 ')).toBe('hubspot:1');
  });

  it('throws a typed domain error that quotes the id and names the problem', () => {
    let thrown: unknown;
    try {
      canonicalLeadId('hubspot:x');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidLeadIdError);
    expect(thrown).toBeInstanceOf(DomainError);
    const error = thrown as InvalidLeadIdError;
    expect(error.code).toBe('invalid_lead_id');
    expect(error.raw).toBe('hubspot:x');
    expect(error.problem).toMatch(/not a number/);
    expect(error.message).toBe('lead id "hubspot:x" has a hubspot id that is not a number');
  });

  it('is idempotent: a canonical id canonicalises to itself', () => {
    for (const raw of [
      '0190D0B0-ABCD-7000-8000-00000000FFEE',
      'HubSpot:007',
      'salesforce:00Q5e00000AbCdE',
      'salesforce:00q5e00000abcdeaaa',
      'Zoho:Lead_1',
    ]) {
      const once = canonicalLeadId(raw);
      expect(canonicalLeadId(once)).toBe(once);
    }
  });
});
