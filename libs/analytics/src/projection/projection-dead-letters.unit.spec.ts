import { DeadLetterLedger, type DeadLetter } from './projection-dead-letters';

const letter = (position: string, eventId: string): DeadLetter => ({
  eventId,
  position,
  type: 'LeadCaptured',
  reason: 'no envelope',
});

describe('DeadLetterLedger', () => {
  it('counts each letter and keeps the latest five, newest position first', () => {
    const ledger = new DeadLetterLedger();
    ledger.add([1, 2, 3].map((p) => letter(String(p), `e${p}`)));
    ledger.add([10, 4, 5, 6].map((p) => letter(String(p), `e${p}`)));
    const { count, latest } = ledger.summary();
    expect(count).toBe(7);
    expect(latest.map((l) => l.position)).toEqual(['10', '6', '5', '4', '3']);
  });

  it('given letters the table holds beyond the checkpoint, counts them once when set aside again', () => {
    const known = { count: 2, latest: [letter('9', 'b'), letter('8', 'a')] };
    const ledger = new DeadLetterLedger(known, ['8/a', '9/b']);
    ledger.add([letter('8', 'a'), letter('9', 'b'), letter('12', 'c')]);
    expect(ledger.summary()).toEqual({
      count: 3,
      latest: [letter('12', 'c'), letter('9', 'b'), letter('8', 'a')],
    });
  });

  it('orders positions as numbers, not text', () => {
    const ledger = new DeadLetterLedger();
    ledger.add([letter('9', 'x'), letter('10', 'y')]);
    expect(ledger.summary().latest.map((l) => l.position)).toEqual(['10', '9']);
  });
});
