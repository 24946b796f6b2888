import { InvalidDefinitionError } from '../errors';
import { resolveAttributionWeights, type AttributionSection } from './attribution';
import { defaultFunnelDefinition } from './default-funnel-definition';
import { definitionHash } from './definition-hash';
import { parseFunnelDefinition } from './funnel-definition';

const withAttribution = (attribution: unknown) => ({ ...defaultFunnelDefinition, attribution });

const issuesOf = (draft: unknown): string[] => {
  try {
    parseFunnelDefinition(draft);
  } catch (error) {
    if (error instanceof InvalidDefinitionError) return error.issues.map((issue) => issue.path);
    throw error;
  }
  return [];
};

describe('the attribution section of the dictionary', () => {
  it('names every bad weight, the half-life and an unknown model', () => {
    expect(
      issuesOf(
        withAttribution({
          models: ['w_shaped', 'markov'],
          default: 'w_shaped',
          weights: {
            uShaped: { firstTouch: 50, leadCreation: 40, others: 20 },
            wShaped: {
              firstTouch: 30,
              leadCreation: 30,
              opportunityCreation: 30.001,
              others: 9.999,
            },
            fullPath: {
              firstTouch: -1,
              leadCreation: 41,
              opportunityCreation: 30,
              closedWon: 20,
              others: 10,
            },
            jShaped: {},
          },
          timeDecay: { halfLifeDays: 0 },
        }),
      ).sort(),
    ).toEqual(
      [
        'attribution.models.1',
        'attribution.weights.jShaped',
        'attribution.weights.uShaped',
        'attribution.weights.wShaped.opportunityCreation',
        'attribution.weights.wShaped.others',
        'attribution.weights.fullPath.firstTouch',
        'attribution.timeDecay.halfLifeDays',
      ].sort(),
    );
  });

  it('keeps the hash of a definition published before the weights existed', () => {
    const {
      weights: _weights,
      timeDecay: _timeDecay,
      ...before
    } = defaultFunnelDefinition.attribution;
    const old = {
      ...defaultFunnelDefinition,
      attribution: { ...before, models: ['linear'], default: 'linear' },
    };
    const parsed = parseFunnelDefinition(old);
    // Parsing adds nothing: the content hashed is the content published.
    expect(parsed.attribution).toEqual({ models: ['linear'], default: 'linear' });
    expect(definitionHash(parsed)).toBe(definitionHash(old as typeof parsed));
  });

  it('resolves the published defaults for a definition without weights', () => {
    const bare: AttributionSection = { models: ['full_path'], default: 'full_path' };
    expect(resolveAttributionWeights(bare, 'u_shaped')).toEqual({
      firstTouch: 4000,
      leadCreation: 4000,
      opportunityCreation: 0,
      closedWon: 0,
      others: 2000,
      halfLifeMs: 7 * 86_400_000,
    });
    expect(resolveAttributionWeights(bare, 'full_path')).toMatchObject({
      firstTouch: 2250,
      leadCreation: 2250,
      opportunityCreation: 2250,
      closedWon: 2250,
      others: 1000,
    });
    expect(resolveAttributionWeights(bare, 'linear')).toMatchObject({ firstTouch: 0, others: 0 });
  });

  it('resolves configured weights and half-life in integers', () => {
    const section: AttributionSection = {
      models: ['w_shaped'],
      default: 'w_shaped',
      weights: {
        wShaped: { firstTouch: 33.33, leadCreation: 33.33, opportunityCreation: 33.34, others: 0 },
      },
      timeDecay: { halfLifeDays: 1.5 },
    };
    expect(resolveAttributionWeights(section, 'w_shaped')).toEqual({
      firstTouch: 3333,
      leadCreation: 3333,
      opportunityCreation: 3334,
      closedWon: 0,
      others: 0,
      halfLifeMs: 129_600_000,
    });
  });
});
