import { BackgroundBuild } from './kept-copies';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A BackgroundBuild and `names.length` builds asked for in one tick, each of which logs its
 * start, waits until `open()`, then checks its signal (as before a marker) and logs its mark.
 */
function buildsAskedAtOnce(...names: string[]) {
  const build = new BackgroundBuild<string>();
  const log: string[] = [];
  let open = () => {};
  const gate = new Promise<void>((resolve) => (open = resolve));
  const runs = names.map((name) =>
    build.run(async (cancelled) => {
      log.push(`${name} starts`);
      await gate;
      cancelled.throwIfAborted();
      log.push(`${name} marks`);
      return name;
    }),
  );
  return { build, log, open, runs };
}

describe('BackgroundBuild', () => {
  it('writes two builds asked for at once one after the other, never side by side', async () => {
    const { build, log, open, runs } = buildsAskedAtOnce('first', 'second');
    await flush();
    expect(log).toEqual(['first starts']);
    expect(build.busy).toBe(true);
    open();
    expect(await Promise.all(runs)).toEqual(['first', 'second']);
    expect(log).toEqual(['first starts', 'first marks', 'second starts', 'second marks']);
    expect(build.busy).toBe(false);
  });

  it('is busy from the moment a build is asked for (nothing else starts one meanwhile)', async () => {
    const { build, open, runs } = buildsAskedAtOnce('only');
    expect(build.busy).toBe(true);
    open();
    await Promise.all(runs);
    expect(build.busy).toBe(false);
  });

  it('lets a suspension return only once no build asked for before it can still mark', async () => {
    const { build, log, open, runs } = buildsAskedAtOnce('first', 'second');
    await flush();
    const suspending = build
      .suspend('a rebuild', () => undefined)
      .then((release) => {
        log.push('suspended');
        return release;
      });
    open();
    const release = await suspending;
    expect(await Promise.all(runs)).toEqual([null, null]);
    // Nothing marked, and nothing written after the suspension returned (the reset's turn).
    expect(log).toEqual(['first starts', 'suspended']);
    release();
    expect(await build.run(() => Promise.resolve('after'))).toBe('after');
  });
});
