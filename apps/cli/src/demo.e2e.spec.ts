/**
 * `npm run demo`, the README's main job, as a user runs it from a fresh clone: the built CLI
 * on the embedded defaults (PGlite + chDB in a data directory of its own), with its default
 * quarter of 2,000 leads, then once more to add the next quarter to the same data. The demo
 * is one caller sending a quarter of a company's writes in about a minute, past the API's
 * default per-caller write limit: it must still finish with every request accepted and the
 * lenses reconciled. The e2e tier's global setup builds dist/.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type CliRun, runTandemCli } from './testing/tandem-cli';
import { freePort } from '../../../test/support/worker-process';

jest.setTimeout(600_000);

/** The demo with only what a user's shell would have: no TANDEM_* settings but its own. */
function demo(args: readonly string[], env: Record<string, string>): Promise<CliRun> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('TANDEM_')),
  );
  return runTandemCli(['demo', ...args], { ...inherited, ...env });
}

describe('tandem demo on the embedded defaults', () => {
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tandem-demo-e2e-'));
    env = { TANDEM_DATA_DIR: path.join(dir, 'data'), TANDEM_PORT: String(await freePort()) };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('drives its default quarter through the API, every request accepted, and reconciles', async () => {
    const run = await demo(['--reset'], env);
    expect(run.stderr).not.toContain('failed unexpectedly');
    expect(run.stderr).toMatch(/Simulating \d{4}-Q\d: 2000 leads through http:\/\/.+ \(run 1\)/);
    const sent = /Sent (\d+) requests in ([\d.]+) s/.exec(run.stderr);
    expect(sent).not.toBeNull();
    expect(Number(sent?.[1])).toBeGreaterThan(6_000);
    expect(run.stdout).toContain('SHARED FUNNEL');
    expect(run.stdout).toContain('RECONCILED: the marketing and sales lenses agree');
    expect(run.code).toBe(0);
  });

  it('adds the next quarter to the same data when run again', async () => {
    const run = await demo(['--leads', '100'], env);
    expect(run.stderr).toMatch(/Simulating \d{4}-Q\d: 100 leads through .+ \(run 2\)/);
    expect(run.stderr).not.toContain('failed unexpectedly');
    expect(run.stdout).toMatch(/Quarters simulated: \d{4}-Q\d to \d{4}-Q\d\./);
    expect(run.stdout).toContain('RECONCILED');
    expect(run.code).toBe(0);
  });
});
