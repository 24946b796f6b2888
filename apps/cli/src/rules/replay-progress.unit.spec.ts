import { createReplayProgress, describeReplay, duration } from './replay-progress';
import type { ReplayView } from './rules-contract';

const running: ReplayView = {
  id: 'r-1',
  rulesVersion: 2,
  definitionHash: 'sha256:1a2b3c4d5e6f7a8b9c0d1e2f',
  kind: 'published',
  status: 'running',
  resumed: false,
  eventsDone: 8123,
  eventsTotal: 16000,
  eventsPerSecond: 2310.4,
  etaSeconds: 3.4,
  startedAt: '2026-03-01T10:00:00.000Z',
  finishedAt: null,
  error: null,
};
const done: ReplayView = {
  ...running,
  status: 'done',
  eventsDone: 16000,
  eventsPerSecond: null,
  etaSeconds: null,
  finishedAt: '2026-03-01T10:00:07.200Z',
};

/** A stream that records what was written, and a clock the test moves by hand. */
function terminal(isTTY: boolean) {
  const chunks: string[] = [];
  let now = 0;
  return {
    chunks,
    stream: { isTTY, write: (chunk: string) => chunks.push(chunk) },
    clock: () => now,
    advance: (ms: number) => (now += ms),
  };
}

describe('describeReplay', () => {
  it('gives events done, share, rate and ETA of a running replay', () => {
    expect(describeReplay(running)).toBe(
      'replay v2 (sha 1a2b3c4d5e6f7a8b): 8,123/16,000 events (50.8 %), 2,310 events/s, ETA 4 s',
    );
  });

  it('says when a replay resumed from its checkpoint, and marks a draft', () => {
    expect(describeReplay({ ...running, resumed: true, kind: 'shadow' })).toBe(
      'replay v2 draft (sha 1a2b3c4d5e6f7a8b): 8,123/16,000 events (50.8 %), 2,310 events/s, ETA 4 s (resumed)',
    );
  });

  it('leaves out a rate and an ETA the API does not know yet', () => {
    expect(
      describeReplay({ ...running, eventsDone: 0, eventsPerSecond: null, etaSeconds: null }),
    ).toBe('replay v2 (sha 1a2b3c4d5e6f7a8b): 0/16,000 events (0.0 %)');
  });

  it('never rounds a running replay up to 100 %', () => {
    expect(describeReplay({ ...running, eventsDone: 15_999 })).toContain('(99.9 %)');
  });

  it('says how long a finished replay took, and where a failed one stopped', () => {
    expect(describeReplay(done)).toBe(
      'replay v2 (sha 1a2b3c4d5e6f7a8b): 16,000/16,000 events (100.0 %), done in 7 s',
    );
    expect(describeReplay({ ...running, status: 'failed', error: 'disk full' })).toBe(
      'replay v2 (sha 1a2b3c4d5e6f7a8b): failed at 8,123/16,000 events (50.8 %)',
    );
    expect(describeReplay({ ...done, eventsDone: 0, eventsTotal: 0 })).toContain(
      '0/0 events (100.0 %)',
    );
  });

  it('writes durations in the largest units that matter', () => {
    expect(duration(0)).toBe('0 s');
    expect(duration(59.2)).toBe('1 min 0 s');
    expect(duration(125)).toBe('2 min 5 s');
    expect(duration(3 * 3600 + 7 * 60 + 9)).toBe('3 h 7 min');
  });
});

describe('replay progress on a TTY', () => {
  it('rewrites one line in place at most every 250 ms and ends it with the final state', () => {
    const t = terminal(true);
    const progress = createReplayProgress(t.stream, t.clock);
    progress.update({ ...running, eventsDone: 1000 });
    t.advance(100);
    progress.update({ ...running, eventsDone: 2000 }); // too soon: skipped
    t.advance(150);
    progress.update({ ...running, eventsDone: 3000 });
    t.advance(10);
    progress.update(done); // final: always shown
    progress.end(); // line already closed: writes nothing
    expect(t.chunks).toEqual([
      `\r\x1b[2K${describeReplay({ ...running, eventsDone: 1000 })}`,
      `\r\x1b[2K${describeReplay({ ...running, eventsDone: 3000 })}`,
      `\r\x1b[2K${describeReplay(done)}\n`,
    ]);
  });

  it('closes a line left open when following stops early', () => {
    const t = terminal(true);
    const progress = createReplayProgress(t.stream, t.clock);
    progress.update(running);
    progress.end();
    expect(t.chunks).toEqual([`\r\x1b[2K${describeReplay(running)}`, '\n']);
  });
});

describe('replay progress in a log (not a TTY)', () => {
  it('writes plain lines at most every 2 s, and always the final one', () => {
    const t = terminal(false);
    const progress = createReplayProgress(t.stream, t.clock);
    for (let step = 0; step < 10; step++) {
      progress.update({ ...running, eventsDone: step * 1000 });
      t.advance(500);
    }
    progress.update({ ...running, status: 'failed', error: 'boom' });
    progress.end();
    expect(t.chunks).toEqual([
      `${describeReplay({ ...running, eventsDone: 0 })}\n`,
      `${describeReplay({ ...running, eventsDone: 4000 })}\n`,
      `${describeReplay({ ...running, eventsDone: 8000 })}\n`,
      `${describeReplay({ ...running, status: 'failed' })}\n`,
    ]);
    expect(t.chunks.join('')).not.toMatch(/\r|\x1b/);
  });
});
