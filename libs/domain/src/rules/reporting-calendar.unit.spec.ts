import { InvalidDefinitionError } from '../errors';
import { defaultFunnelDefinition } from './default-funnel-definition';
import { definitionHash } from './definition-hash';
import { parseFunnelDefinition } from './funnel-definition';
import { exactTimeZoneName, isIanaTimeZone, reportingCalendar } from './reporting-calendar';

describe('reporting calendar', () => {
  it('given a definition without the section, then it reports in UTC from January and keeps its hash', () => {
    const { reporting: _none, ...old } =
      defaultFunnelDefinition as typeof defaultFunnelDefinition & {
        reporting?: unknown;
      };
    const parsed = parseFunnelDefinition(old);
    expect(parsed.reporting).toBeUndefined();
    expect(definitionHash(parsed)).toBe(definitionHash(old as typeof parsed));
    expect(reportingCalendar(parsed.reporting)).toEqual({
      timeZone: 'UTC',
      fiscalYearStartMonth: 1,
    });
  });

  it('given a time zone and a fiscal start, then both are used and the hash changes', () => {
    const parsed = parseFunnelDefinition({
      ...defaultFunnelDefinition,
      reporting: { timeZone: 'Europe/Rome', fiscalYearStartMonth: 4 },
    });
    expect(reportingCalendar(parsed.reporting)).toEqual({
      timeZone: 'Europe/Rome',
      fiscalYearStartMonth: 4,
    });
    expect(definitionHash(parsed)).not.toBe(definitionHash(defaultFunnelDefinition));
    // One field alone: the other keeps its default.
    expect(reportingCalendar({ fiscalYearStartMonth: 7 })).toEqual({
      timeZone: 'UTC',
      fiscalYearStartMonth: 7,
    });
  });

  it('given bad fields, then every one is named', () => {
    const attempt = () =>
      parseFunnelDefinition({
        ...defaultFunnelDefinition,
        reporting: { timeZone: 'Mars/Olympus', fiscalYearStartMonth: 13, weekStart: 'sunday' },
      });
    expect(attempt).toThrow(InvalidDefinitionError);
    try {
      attempt();
    } catch (error) {
      const paths = (error as InvalidDefinitionError).issues.map((issue) => issue.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          'reporting.timeZone',
          'reporting.fiscalYearStartMonth',
          'reporting.weekStart',
        ]),
      );
    }
  });

  it.each([
    ['Europe/Rome', true],
    ['America/Argentina/Buenos_Aires', true],
    ['UTC', true],
    ['+01:00', false],
    ['Mars/Olympus', false],
    ['', false],
  ])('knows %s as a zone: %s', (name, known) => {
    expect(isIanaTimeZone(name)).toBe(known);
  });

  // ClickHouse loads a zone by its exact name; the runtime takes any case. The name is the
  // caller's: ICU would spell Asia/Kolkata as its legacy link Asia/Calcutta.
  it.each([
    ['utc', 'UTC'],
    ['UTC', 'UTC'],
    ['europe/rome', 'Europe/Rome'],
    ['Europe/Rome', 'Europe/Rome'],
    ['US/Hawaii', 'US/Hawaii'],
    ['us/hawaii', 'US/Hawaii'],
    ['Pacific/Honolulu', 'Pacific/Honolulu'],
    ['Asia/Kolkata', 'Asia/Kolkata'],
    ['asia/kolkata', 'Asia/Kolkata'],
    ['Asia/Calcutta', 'Asia/Calcutta'],
    ['Europe/Kyiv', 'Europe/Kyiv'],
    ['Asia/Kathmandu', 'Asia/Kathmandu'],
    ['etc/gmt+5', 'Etc/GMT+5'],
    ['america/argentina/buenos_aires', 'America/Argentina/Buenos_Aires'],
  ])('given the zone %s, then views group in %s', (name, exact) => {
    expect(isIanaTimeZone(name)).toBe(true);
    expect(exactTimeZoneName(name)).toBe(exact);
    const definition = parseFunnelDefinition({
      ...defaultFunnelDefinition,
      reporting: { timeZone: name },
    });
    expect(definition.reporting?.timeZone).toBe(name);
    expect(reportingCalendar(definition.reporting).timeZone).toBe(exact);
  });

  it('spells every zone the runtime knows as one of its own names, in any case', () => {
    const respelled = Intl.supportedValuesOf('timeZone').filter(
      (name) => exactTimeZoneName(name) !== name || exactTimeZoneName(name.toUpperCase()) !== name,
    );
    expect(respelled).toEqual([]);
  });
});
