import { defaultFunnelDefinition, type FunnelDefinition } from '@tandem/domain';
import { checkedRequirements, stageRequirements } from './funnel-requirements';

const withTransitions = (transitions: FunnelDefinition['transitions']): FunnelDefinition => ({
  ...defaultFunnelDefinition,
  transitions,
});

/** The default graph, except that nurturing may also hand a lead to sales directly. */
const directHandOff = withTransitions(
  defaultFunnelDefinition.transitions.map((t) =>
    t.from === 'nurturing' ? { from: 'nurturing', to: ['mql', 'handed_to_sales'] } : t,
  ),
);

describe('stageRequirements', () => {
  it('reads the chain of the default graph from its transitions', () => {
    const pairs = stageRequirements(defaultFunnelDefinition);
    expect(pairs).toContainEqual({ stage: 'handed_to_sales', requires: 'mql' });
    expect(pairs).toContainEqual({ stage: 'won', requires: 'mql' });
    expect(pairs).toContainEqual({ stage: 'sql', requires: 'accepted' });
    // Recycling (back to nurturing) opens no way around a stage.
    expect(pairs).not.toContainEqual({ stage: 'mql', requires: 'handed_to_sales' });
    expect(pairs).not.toContainEqual({ stage: 'accepted', requires: 'rejected' });
  });

  it('requires nothing where the definition allows another way in', () => {
    const pairs = stageRequirements(directHandOff);
    expect(pairs).not.toContainEqual({ stage: 'handed_to_sales', requires: 'mql' });
    expect(pairs).not.toContainEqual({ stage: 'won', requires: 'mql' });
    expect(pairs).toContainEqual({ stage: 'accepted', requires: 'handed_to_sales' });
  });
});

describe('checkedRequirements', () => {
  it('keeps only the immediate requirements: one per step of the funnel', () => {
    expect(checkedRequirements(defaultFunnelDefinition, [defaultFunnelDefinition])).toEqual([
      { stage: 'handed_to_sales', requires: 'mql' },
      { stage: 'accepted', requires: 'handed_to_sales' },
      { stage: 'rejected', requires: 'handed_to_sales' },
      { stage: 'sql', requires: 'accepted' },
      { stage: 'opportunity', requires: 'sql' },
      { stage: 'won', requires: 'opportunity' },
      { stage: 'lost', requires: 'opportunity' },
    ]);
  });

  it('drops a requirement some version in force did not have', () => {
    const pairs = checkedRequirements(defaultFunnelDefinition, [
      defaultFunnelDefinition,
      directHandOff,
    ]);
    expect(pairs).not.toContainEqual({ stage: 'handed_to_sales', requires: 'mql' });
    expect(pairs).toContainEqual({ stage: 'accepted', requires: 'handed_to_sales' });
  });
});
