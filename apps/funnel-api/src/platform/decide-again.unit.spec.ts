import { WrongExpectedRevisionError } from '@tandem/event-store';
import { decideAgainOnConflict } from './decide-again';

const conflict = () => new WrongExpectedRevisionError('lead-1', 'expected 1', 2n);

describe('decideAgainOnConflict', () => {
  it('decides again after a conflict of revisions, and answers the decision that landed', async () => {
    let calls = 0;
    const answer = await decideAgainOnConflict(3, async () => {
      calls += 1;
      if (calls < 3) throw conflict();
      return 'landed';
    });
    expect([answer, calls]).toEqual(['landed', 3]);
  });

  it('throws the last conflict once the attempts are spent', async () => {
    let calls = 0;
    const decide = async () => {
      calls += 1;
      throw conflict();
    };
    await expect(decideAgainOnConflict(2, decide)).rejects.toBeInstanceOf(
      WrongExpectedRevisionError,
    );
    expect(calls).toBe(2);
  });

  it('throws any other error, and a conflict that is the caller’s, at once', async () => {
    let calls = 0;
    const refused = new Error('refused');
    await expect(
      decideAgainOnConflict(5, async () => {
        calls += 1;
        throw refused;
      }),
    ).rejects.toBe(refused);
    await expect(
      decideAgainOnConflict(
        5,
        async () => {
          calls += 1;
          throw conflict();
        },
        async () => false,
      ),
    ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    expect(calls).toBe(2);
  });
});
