import { simulateQuarter } from './quarter-simulation';

const base = {
  seed: 42,
  quarterStart: new Date('2025-01-01T00:00:00Z'),
  leads: 300,
  now: new Date('2026-01-01T00:00:00Z'),
};

describe('simulateQuarter', () => {
  it('is deterministic for a seed', () => {
    expect(JSON.stringify(simulateQuarter(base))).toBe(JSON.stringify(simulateQuarter(base)));
    expect(JSON.stringify(simulateQuarter({ ...base, seed: 43 }))).not.toBe(
      JSON.stringify(simulateQuarter(base)),
    );
  });

  it('captures every lead inside the quarter and keeps each journey in time order', () => {
    const quarter = simulateQuarter(base);
    expect(quarter.label).toBe('2025-Q1');
    expect(quarter.journeys).toHaveLength(300);
    for (const journey of quarter.journeys) {
      const [capture] = journey.requests;
      expect(capture?.path).toBe('/leads');
      expect(capture && capture.at >= '2025-01-01' && capture.at < '2025-04-01').toBe(true);
      const times = journey.requests.map((r) => r.at);
      expect([...times].sort()).toEqual(times);
    }
  });

  it('sends nothing stamped after now', () => {
    const now = new Date('2025-02-01T00:00:00Z');
    const quarter = simulateQuarter({ ...base, now });
    const all = [...quarter.planning, ...quarter.journeys.flatMap((j) => j.requests)];
    expect(all.every((r) => Date.parse(r.at) <= now.getTime())).toBe(true);
  });

  it('has plausible funnel shape: most leads reach a decision, fewer reach sales', () => {
    const journeys = simulateQuarter(base).journeys;
    const reached = (suffix: string) =>
      journeys.filter((j) => j.requests.some((r) => r.path.endsWith(suffix))).length;
    // Every lead asks for an MQL decision, except those sales hand over directly (ADR 0008).
    expect(reached('/sales-sourced-handoff')).toBeGreaterThan(0);
    expect(reached('/mql') + reached('/sales-sourced-handoff')).toBe(300);
    expect(reached('/accept') + reached('/reject')).toBeLessThan(300);
    expect(reached('/won')).toBeLessThan(reached('/opportunity'));
    expect(reached('/won')).toBeGreaterThan(0);
  });
});
