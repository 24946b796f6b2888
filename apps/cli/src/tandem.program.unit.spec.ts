/**
 * The `tandem` command line against recording fakes of its commands: what each
 * command line dispatches, the help it prints, and the exit code and one-line
 * message of every way it can fail. The built CLI is exercised by
 * cli.e2e.spec.ts.
 */
import { ApiError, type ApiEndpoint, ApiUnavailableError } from './api-client';
import { type JsonOption, runTandem, type TandemCommands } from './tandem.program';

type Call = readonly [name: keyof TandemCommands, ...args: unknown[]];

function recordingCommands(answer: () => Promise<number> = () => Promise.resolve(0)) {
  const calls: Call[] = [];
  const record =
    (name: keyof TandemCommands) =>
    (...args: unknown[]) => {
      calls.push([name, ...args]);
      return answer();
    };
  const commands: TandemCommands = {
    demo: record('demo'),
    status: record('status'),
    reconcile: record('reconcile'),
    rebuild: record('rebuild'),
    migrate: record('migrate'),
    token: record('token'),
    import: record('import'),
    rulesList: record('rulesList'),
    rulesPublish: record('rulesPublish'),
    rulesWhatIf: record('rulesWhatIf'),
    rulesApply: record('rulesApply'),
    keysCreate: record('keysCreate'),
    keysList: record('keysList'),
    keysRevoke: record('keysRevoke'),
  };
  return { commands, calls };
}

async function tandem(
  argv: readonly string[],
  options: { env?: Record<string, string>; answer?: () => Promise<number> } = {},
) {
  const { commands, calls } = recordingCommands(options.answer);
  let out = '';
  let err = '';
  const code = await runTandem(argv, commands, {
    env: options.env ?? {},
    writeOut: (text) => (out += text),
    writeErr: (text) => (err += text),
  });
  return { code, out, err, calls };
}

const defaultApi: ApiEndpoint = { url: 'http://127.0.0.1:3000', source: 'default' };
const asJson: JsonOption = { json: true };
const asText: JsonOption = { json: false };

describe('tandem --help', () => {
  it.each([['--help'], ['-h'], ['help']])(
    '%s lists every command and the exit codes',
    async (flag) => {
      const { code, out, err, calls } = await tandem([flag]);
      expect(code).toBe(0);
      expect(err).toBe('');
      expect(calls).toEqual([]);
      for (const command of ['demo', 'status', 'reconcile', 'rebuild', 'migrate', 'rules']) {
        expect(out).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
      }
      expect(out).toMatch(
        /Exit codes:\n {2}0 {2}done\n {2}1 {2}the command ran and the answer is no/,
      );
      expect(out).toMatch(/^ {2}2 {2}usage: /m);
      expect(out).toMatch(/^ {2}3 {2}the API cannot be reached/m);
      expect(out).toMatch(/^ {2}4 {2}unexpected error/m);
      expect(out).toContain('TANDEM_API_URL');
    },
  );

  it('rules --help lists its subcommands', async () => {
    const { code, out } = await tandem(['rules', '--help']);
    expect(code).toBe(0);
    for (const sub of ['list', 'publish [options] <file>', 'what-if [options] <file>', 'apply']) {
      expect(out).toContain(`  ${sub}`);
    }
  });

  it.each([
    [['status']],
    [['reconcile']],
    [['rebuild']],
    [['migrate']],
    [['rules', 'list']],
    [['rules', 'publish']],
    [['rules', 'what-if']],
    [['rules', 'apply']],
    [['keys', 'create']],
    [['keys', 'list']],
    [['keys', 'revoke']],
  ])('%j --help offers --json', async (words) => {
    const { code, out } = await tandem([...words, '--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/^ {2}--json\b/m);
    if (words[0] !== 'migrate') expect(out).toMatch(/^ {2}--api <url>/m);
  });

  it('demo --help lists its options', async () => {
    const { out } = await tandem(['help', 'demo']);
    for (const option of ['--reset', '--leads <n>', '--concurrency <n>', '--seed <n>']) {
      expect(out).toContain(option);
    }
  });
});

describe('tandem usage errors exit 2 and point at the help', () => {
  it.each([
    [['frobnicate'], /^tandem: unknown command 'frobnicate'\n\(see 'tandem --help'\)\n$/],
    [['rebuild', '--jsn'], /^tandem: unknown option '--jsn'\n\(Did you mean --json\?\)\n/],
    [
      ['rules', 'apply', 'two'],
      /expected a version number, e\.g\. 2\n\(see 'tandem rules apply --help'\)/,
    ],
    [['rules', 'apply', '0'], /expected a version number/],
    [['rules', 'publish'], /^tandem: missing required argument 'file'/],
    [['status', 'extra'], /^tandem: too many arguments for 'status'/],
    [['keys', 'create', '--name', 'x', '--role', 'root'], /expected roles among marketing/],
    [['keys', 'create', '--role', 'ops'], /required option '--name <name>' not specified/],
    [
      ['demo', '--leads', 'many'],
      /'--leads <n>' argument 'many' is invalid\. expected a positive integer/,
    ],
  ])('%j', async (argv, message) => {
    const { code, out, err, calls } = await tandem(argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(message);
    expect(calls).toEqual([]);
  });

  it('no command shows the help on stderr', async () => {
    const { code, out, err } = await tandem([]);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(/^Usage: tandem <command> \[options\]/);
  });

  it('an API URL that is not one', async () => {
    const bad = await tandem(['status'], { env: { TANDEM_API_URL: 'localhost:3000' } });
    expect(bad.code).toBe(2);
    expect(bad.err).toBe(
      'tandem: TANDEM_API_URL must be an http:// or https:// URL: localhost:3000\n',
    );
    const flag = await tandem(['reconcile', '--api', 'not a url']);
    expect(flag.code).toBe(2);
    expect(flag.err).toBe('tandem: --api is not a URL: not a url\n');
  });
});

describe('tandem dispatches', () => {
  it.each<[string[], Call]>([
    [['status'], ['status', defaultApi, asText]],
    [
      ['reconcile', '--json'],
      ['reconcile', defaultApi, asJson],
    ],
    [
      ['rebuild', '--json'],
      ['rebuild', defaultApi, asJson],
    ],
    [['migrate'], ['migrate', asText]],
    [
      ['token', '--role', 'ops', '--actor', 'you@example.com'],
      ['token', { roles: ['ops'], actor: 'you@example.com', ttl: '1h', dashboard: null }],
    ],
    [
      ['token', '--role', 'marketing,sales', '--actor', 'a@b', '--ttl', '8h', '--dashboard'],
      ['token', { roles: ['marketing', 'sales'], actor: 'a@b', ttl: '8h', dashboard: defaultApi }],
    ],
    [
      ['import', 'history.jsonl'],
      [
        'import',
        ['history.jsonl'],
        { json: false, preset: 'canonical', mapping: null, blockEvents: 5000 },
      ],
    ],
    [
      ['import', '--json', '--block-events', '200', 'history.jsonl'],
      [
        'import',
        ['history.jsonl'],
        { json: true, preset: 'canonical', mapping: null, blockEvents: 200 },
      ],
    ],
    [
      ['rules', 'list', '--json'],
      ['rulesList', defaultApi, asJson],
    ],
    [
      ['rules', 'publish', 'draft.json'],
      ['rulesPublish', defaultApi, 'draft.json', asText],
    ],
    [
      ['rules', 'what-if', '--json', 'd.json'],
      ['rulesWhatIf', defaultApi, 'd.json', asJson],
    ],
    [
      ['rules', 'apply', '2'],
      ['rulesApply', defaultApi, 2, { ...asText, force: false }],
    ],
    [
      ['rules', 'apply', '--force', '2'],
      ['rulesApply', defaultApi, 2, { ...asText, force: true }],
    ],
    [
      ['demo', '--reset', '--leads', '10'],
      ['demo', { reset: true, leads: 10, concurrency: 8, seed: 20260101 }],
    ],
    [
      ['keys', 'create', '--name', 'hubspot-sync', '--role', 'marketing,system'],
      [
        'keysCreate',
        defaultApi,
        { json: false, name: 'hubspot-sync', roles: ['marketing', 'system'], actor: null },
      ],
    ],
    [
      ['keys', 'create', '--json', '--name', 'n', '--role', 'analyst', '--actor', 'bi@acme'],
      ['keysCreate', defaultApi, { json: true, name: 'n', roles: ['analyst'], actor: 'bi@acme' }],
    ],
    [
      ['keys', 'list', '--json'],
      ['keysList', defaultApi, asJson],
    ],
    [
      ['keys', 'revoke', '00000000000000ff'],
      ['keysRevoke', defaultApi, '00000000000000ff', asText],
    ],
  ])('%j', async (argv, call) => {
    const { code, calls } = await tandem(argv);
    expect(code).toBe(0);
    expect(calls).toEqual([call]);
  });

  it('takes the API from --api over TANDEM_API_URL over the default', async () => {
    const env = { TANDEM_API_URL: 'http://api.internal:3000' };
    const fromEnv = await tandem(['status'], { env });
    expect(fromEnv.calls[0]?.[1]).toEqual({ url: env.TANDEM_API_URL, source: 'TANDEM_API_URL' });
    const fromFlag = await tandem(['status', '--api', 'http://other:1'], { env });
    expect(fromFlag.calls[0]?.[1]).toEqual({ url: 'http://other:1', source: '--api' });
  });

  it('warns once on stderr when the API is plain http to a host that is not loopback', async () => {
    const remote = await tandem(['status'], {
      env: { TANDEM_API_URL: 'http://ops:hunter2@api.internal:3000' },
    });
    expect(remote.code).toBe(0);
    expect(remote.err).toBe(
      'tandem: warning: TANDEM_API_URL http://ops:***@api.internal:3000/ is plain http to a host ' +
        'that is not loopback, so the credentials and the answers cross the network unencrypted; ' +
        'use https:// unless the network is private\n',
    );
    const flag = await tandem(['rules', 'list', '--api', 'http://10.0.0.9:3000']);
    expect(flag.err).toMatch(/^tandem: warning: --api http:\/\/10\.0\.0\.9:3000\/ is plain http/);
    for (const url of ['https://api.internal', 'http://127.0.0.1:3000', 'http://localhost:3000']) {
      expect((await tandem(['status'], { env: { TANDEM_API_URL: url } })).err).toBe('');
    }
    expect((await tandem(['status'])).err).toBe('');
  });

  it("exits with the command's own code", async () => {
    expect((await tandem(['reconcile'], { answer: () => Promise.resolve(1) })).code).toBe(1);
  });
});

describe('tandem failures: one line on stderr, no stack, a documented code', () => {
  const failing = (error: Error) => () => Promise.reject(error);

  it('exits 3 when the API cannot be reached, saying so in one line', async () => {
    const message =
      'cannot reach the Tandem API at http://127.0.0.1:3000 (TANDEM_API_URL): connection refused';
    const { code, out, err } = await tandem(['rebuild', '--json'], {
      answer: failing(new ApiUnavailableError(message)),
    });
    expect(code).toBe(3);
    expect(out).toBe('');
    expect(err).toBe(`tandem: ${message}\n`);
  });

  it('exits 3 on a server error and 1 on a refusal, with what the API said', async () => {
    const broken = await tandem(['status'], {
      answer: failing(new ApiError(500, { message: 'Internal server error' }, '/health')),
    });
    expect(broken.code).toBe(3);
    expect(broken.err).toBe(
      'tandem: the API answered GET /health with HTTP 500: Internal server error\n',
    );
    const refused = await tandem(['rebuild'], {
      answer: failing(
        new ApiError(409, { status: 409, detail: 'a rebuild is running' }, '/ops/rebuild', 'POST'),
      ),
    });
    expect(refused.code).toBe(1);
    expect(refused.err).toBe(
      'tandem: the API answered POST /ops/rebuild with HTTP 409: a rebuild is running\n',
    );
  });

  it('exits 4 with the stack on a bug', async () => {
    const { code, err } = await tandem(['status'], { answer: failing(new RangeError('oops')) });
    expect(code).toBe(4);
    expect(err).toMatch(/^tandem: unexpected error \(a bug\): RangeError: oops\n {4}at /);
  });
});
