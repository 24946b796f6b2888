import { SpendConflictError } from '../errors';
import { decideSpendRetry } from './spend-retry';

const spend = {
  campaign: 'spring-launch',
  channel: 'paid_search',
  amount: 250.5,
  currency: 'EUR',
  spentOn: '2025-03-01',
};

describe('a spend whose spendId the store already holds', () => {
  it('given the same facts recorded, it is held: nothing to record', () => {
    expect(decideSpendRetry('INV-1', 'event-1', spend, { ...spend })).toBe('held');
  });

  it('given other facts recorded, it is a conflict naming the spend, the event and what differs', () => {
    const decide = () =>
      decideSpendRetry('INV-1', 'event-1', spend, { ...spend, amount: 300, spentOn: '2025-03-02' });
    expect(decide).toThrow(SpendConflictError);
    expect(decide).toThrow(
      'spend INV-1 was already recorded (event event-1) with another amount, spentOn',
    );
  });

  it("given none in the campaign's stream (another campaign holds the id), it is a conflict", () => {
    let refused: unknown;
    try {
      decideSpendRetry('INV-1', 'event-1', spend, undefined);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(SpendConflictError);
    expect(refused).toMatchObject({ code: 'spend_conflict', spendId: 'INV-1', eventId: 'event-1' });
  });
});
