/**
 * The built `tandem` (dist/apps/cli/src/main.js, as `npm run tandem` runs it)
 * as a child process: its help, its usage errors, its one-line message and
 * exit code when no API listens, and, against a real API, that `--json` leaves
 * exactly one JSON document on stdout. The int tier's global setup builds dist/.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type FunnelApiFixture, startFunnelApi } from '../../../test/support/funnel-api.fixture';
import { freePort } from '../../../test/support/worker-process';
import { asRole } from '../../../test/support/auth-headers';
import { type CliRun, runTandemCli } from './testing/tandem-cli';

jest.setTimeout(120_000);

function tandem(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const { TANDEM_API_URL: _ignored, ...inherited } = process.env;
  return runTandemCli(args, { ...inherited, ...env });
}

describe('without an API', () => {
  let url: string;
  beforeAll(async () => {
    // Free a moment ago, nothing listens there now: the connection is refused.
    url = `http://127.0.0.1:${await freePort()}`;
  });

  it.each([
    [['rebuild', '--json']],
    [['status']],
    [['reconcile']],
    [['rules', 'list', '--json']],
    [['rules', 'apply', '2']],
  ])('%j says it cannot reach the API, in one line, and exits 3', async (args) => {
    const run = await tandem(args, { TANDEM_API_URL: url });
    expect(run).toEqual({
      code: 3,
      signal: null,
      stdout: '',
      stderr: `tandem: cannot reach the Tandem API at ${url} (TANDEM_API_URL): connection refused\n`,
    });
  });

  it('migrate says it cannot reach a ClickHouse server, in one line, and exits 3', async () => {
    const run = await tandem(['migrate'], { TANDEM_CLICKHOUSE: 'server', CLICKHOUSE_URL: url });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      'tandem: cannot reach the ClickHouse server at CLICKHOUSE_URL: connect ECONNREFUSED',
    );
    expect(run.stderr).not.toContain('(a bug)');
  });

  it('import into a PGlite directory another process holds refuses, in one line, exit 3', async () => {
    // The embedded API running on the data directory: PGlite is one process's database, and
    // an import beside it was overwritten when the API closed (32 events reported imported,
    // none left after its restart).
    const dir = await realpath(await mkdtemp(path.join(tmpdir(), 'tandem-cli-held-')));
    try {
      const lockFile = path.join(dir, 'pglite.lock');
      await writeFile(lockFile, `${process.pid}\n`);
      const run = await tandem(['import', 'samples/import/canonical.jsonl'], {
        TANDEM_DATA_DIR: dir,
      });
      expect(run.code).toBe(3);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(
        `tandem: cannot open the event store (pglite at ${path.join(dir, 'pglite')}): ` +
          `PGlite data directory ${path.join(dir, 'pglite')} is in use by process ${process.pid}`,
      );
      expect(await readFile(lockFile, 'utf8')).toBe(`${process.pid}\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names --api when the URL came from it', async () => {
    const run = await tandem(['status', '--api', url], { TANDEM_API_URL: 'http://ignored:1' });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      `tandem: cannot reach the Tandem API at ${url} (--api): connection refused\n`,
    );
  });
});

describe('help and usage', () => {
  it('tandem --help lists the commands and the exit codes', async () => {
    const run = await tandem(['--help']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    for (const command of ['demo', 'status', 'reconcile', 'rebuild', 'migrate', 'rules']) {
      expect(run.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(run.stdout).toContain('Exit codes:');
    expect(run.stdout).toMatch(/^ {2}3 {2}the API cannot be reached/m);
  });

  it('tandem rules --help lists its subcommands and rebuild --help its options', async () => {
    const rules = await tandem(['rules', '--help']);
    expect(rules.code).toBe(0);
    for (const sub of ['list', 'publish', 'what-if', 'apply']) {
      expect(rules.stdout).toMatch(new RegExp(`^  ${sub}\\b`, 'm'));
    }
    const rebuild = await tandem(['rebuild', '--help']);
    expect(rebuild.code).toBe(0);
    expect(rebuild.stdout).toMatch(/^ {2}--api <url>/m);
    expect(rebuild.stdout).toMatch(/^ {2}--json/m);
  });

  it('a reader that closes the pipe early (`tandem --help | head -1`) is no crash', async () => {
    const { TANDEM_API_URL: _ignored, ...env } = process.env;
    const cli = path.resolve(__dirname, '../../../dist/apps/cli/src/main.js');
    const child = spawn(process.execPath, [cli, '--help'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy(); // closed before the CLI writes a byte: its writes get EPIPE
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('an unknown command exits 2, says so and points at the help', async () => {
    const run = await tandem(['frobnicate']);
    expect(run).toEqual({
      code: 2,
      signal: null,
      stdout: '',
      stderr: "tandem: unknown command 'frobnicate'\n(see 'tandem --help')\n",
    });
  });
});

describe('against a running API, --json leaves one JSON document on stdout', () => {
  let dir: string;
  let api: FunnelApiFixture;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tandem-cli-int-'));
    api = await startFunnelApi(path.join(dir, 'chdb'));
    await api.app.listen(0, '127.0.0.1');
    // A token from the test identity provider, as an integration would hold one.
    const token = asRole('ops', 'cli-test@test.tandem').authorization?.replace('Bearer ', '') ?? '';
    env = { TANDEM_API_URL: await api.app.getUrl(), TANDEM_TOKEN: token };
  });

  afterAll(async () => {
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('migrate on the chDB the API owns says so, in one line, and exits 3', async () => {
    const run = await tandem(['migrate'], { TANDEM_DATA_DIR: dir });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      `tandem: cannot open the embedded ClickHouse at ${path.join(dir, 'chdb')}: `,
    );
    expect(run.stderr).toContain('stop it first');
    expect(run.stderr).not.toContain('(a bug)');
  });

  it('status, rules list and rebuild', async () => {
    const status = await tandem(['status', '--json'], env);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ eventStore: expect.any(Object) });

    const rules = await tandem(['rules', 'list', '--json'], env);
    expect(rules.code).toBe(0);
    expect(JSON.parse(rules.stdout)).toMatchObject({
      definitions: { active: 1 },
      ruleSets: { sets: expect.any(Array) },
    });

    const rebuild = await tandem(['rebuild', '--json'], env);
    expect(rebuild.code).toBe(0);
    expect(JSON.parse(rebuild.stdout)).toMatchObject({ ok: true, failure: null });
    expect(rebuild.stdout).not.toMatch(/rebuilding:/);
  });
});
