/**
 * The `tandem` command line on commander: every command, its arguments, its
 * options and its help, and the translation of whatever goes wrong into one
 * line on stderr and a documented exit code. It parses and dispatches only:
 * what each command does is passed in (`TandemCommands`), so unit specs run
 * the real parser against recording fakes and never touch the network.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  type ApiEndpoint,
  apiEndpointWarning,
  DEFAULT_API_URL,
  resolveApiEndpoint,
} from './api-client';
import { describeFailure, ExitCode } from './cli-failure';
import type { DemoOptions } from './demo/demo.command';
import { roles as knownRoles, type Role } from '@tandem/domain';
import { type ImportPreset, importPresets } from './import/import-presets';

export interface JsonOption {
  readonly json: boolean;
}

/** What each command does once its command line is understood; each returns its exit code. */
export interface TandemCommands {
  demo(options: DemoOptions): Promise<number>;
  status(api: ApiEndpoint, options: JsonOption): Promise<number>;
  reconcile(api: ApiEndpoint, options: JsonOption): Promise<number>;
  rebuild(api: ApiEndpoint, options: JsonOption): Promise<number>;
  migrate(options: JsonOption): Promise<number>;
  token(options: TokenCommandOptions): Promise<number>;
  import(files: readonly string[], options: ImportCommandOptions): Promise<number>;
  rulesList(api: ApiEndpoint, options: JsonOption): Promise<number>;
  rulesPublish(api: ApiEndpoint, file: string, options: JsonOption): Promise<number>;
  rulesWhatIf(api: ApiEndpoint, file: string, options: JsonOption): Promise<number>;
  rulesApply(api: ApiEndpoint, version: number, options: RulesApplyOptions): Promise<number>;
  keysCreate(api: ApiEndpoint, options: KeysCreateOptions): Promise<number>;
  keysList(api: ApiEndpoint, options: JsonOption): Promise<number>;
  keysRevoke(api: ApiEndpoint, keyId: string, options: JsonOption): Promise<number>;
}

export interface RulesApplyOptions extends JsonOption {
  /** Apply whatever is in force by then: no `expectedActivationId` from what was read. */
  readonly force: boolean;
}

export interface KeysCreateOptions extends JsonOption {
  readonly name: string;
  readonly roles: readonly Role[];
  /** The actor events record; null: the API's default, `apikey:<name>`. */
  readonly actor: string | null;
}

export interface ImportCommandOptions extends JsonOption {
  readonly preset: ImportPreset;
  readonly mapping: string | null;
  readonly blockEvents: number;
}

export interface TokenCommandOptions {
  readonly roles: readonly Role[];
  readonly actor: string;
  /** As given (`8h`); parsed by the command, which owns the bounds. */
  readonly ttl: string;
  /** The API the dashboard link points at, with --dashboard; else null. */
  readonly dashboard: ApiEndpoint | null;
}

export interface TandemContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** stdout: help asked for, and nothing else from the parser. */
  readonly writeOut: (text: string) => void;
  /** stderr: usage errors, failures, help shown because of an error. */
  readonly writeErr: (text: string) => void;
}

const exitCodesHelp = `
Output:
  Results go to stdout; progress, hints, refusals and errors go to stderr.
  With --json, stdout carries exactly one JSON document.

Exit codes:
  0  done
  1  the command ran and the answer is no: reconcile found a disagreement, a
     rebuild or replay failed, or the API refused the request (HTTP 4xx, with
     its reason: an invalid draft, a wrong version, a replay already running);
     import refused rows (each named by file and line; the rest was imported)
  2  usage: unknown command or option, missing or malformed argument, a draft
     file that cannot be read or is not a valid definition, invalid
     configuration; nothing was sent
  3  the API cannot be reached (the message names the URL and where it came
     from), or it answered a server error (HTTP 5xx) or something not JSON;
     import cannot open the event store; migrate cannot reach ClickHouse (or
     a running API owns its chDB)
  4  unexpected error in the CLI itself (a bug): the stack trace is printed

Environment:
  TANDEM_API_URL  where the commands that talk to the API find it
                  (default ${DEFAULT_API_URL}; --api overrides it)
  TANDEM_TOKEN    the bearer token (or API key) they send; unset, on the machine
                  of an embedded API they mint their own from its key
  demo, migrate and import read the TANDEM_* / CLICKHOUSE_* configuration (README).`;

/** Parses `argv` (without node and the script), runs the command, returns the exit code. */
export async function runTandem(
  argv: readonly string[],
  commands: TandemCommands,
  context: TandemContext,
): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = buildTandemProgram(commands, context, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    // commander has already written its message (and help) to stderr. Help
    // asked for exits 0; anything else it refuses is a usage error.
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    const failure = describeFailure(error);
    for (const line of failure.lines) context.writeErr(`tandem: ${line}\n`);
    return failure.exitCode;
  }
}

export function buildTandemProgram(
  commands: TandemCommands,
  context: TandemContext,
  exitWith: (code: number) => void,
): Command {
  const program = new Command('tandem')
    .usage('<command> [options]')
    .description(
      'Ops command line of Tandem. Every command but demo, migrate and import talks to a running ' +
        'Tandem API, which in embedded mode is the one process that owns the data.',
    )
    .helpOption('-h, --help', 'show help for the command')
    .helpCommand('help [command]', 'show help for a command')
    .configureOutput({
      writeOut: context.writeOut,
      writeErr: context.writeErr,
      outputError: (text, write) => write(`tandem: ${text.replace(/^error: /, '')}`),
    })
    .exitOverride()
    .showSuggestionAfterError()
    .addHelpText('after', exitCodesHelp);
  // Settings above are inherited by every command created below with .command().

  // Resolved once per command line, so its warning is printed once.
  const endpoint = (options: { api?: string }) => {
    const resolved = resolveApiEndpoint(options.api, context.env);
    const warning = apiEndpointWarning(resolved);
    if (warning !== null) context.writeErr(`tandem: warning: ${warning}\n`);
    return resolved;
  };
  const run = async (command: Promise<number>) => exitWith(await command);

  program
    .command('demo')
    .description(
      'simulate a quarter through an embedded stack (no servers needed), print the shared ' +
        'funnel and both lenses; exit 1 when they disagree',
    )
    .option('--reset', 'delete the embedded data first and start over', false)
    .option('--leads <n>', 'leads in the simulated quarter', count, 2000)
    .option('--concurrency <n>', 'requests in flight', count, 8)
    .option('--seed <n>', 'random seed (each run adds the run number)', count, 20260101)
    .action(({ reset, leads, concurrency, seed }: DemoOptions) =>
      run(commands.demo({ reset, leads, concurrency, seed })),
    );

  apiCommand(program, 'status', 'the /health document: store head, projection position, failures')
    .addOption(jsonOption('the document (status always prints JSON)'))
    .action((options: ApiOptions) => run(commands.status(endpoint(options), json(options))));

  apiCommand(
    program,
    'reconcile',
    'check that the marketing and sales lenses and every rule set agree; exit 1 when not',
  )
    .addOption(jsonOption('the full verdict'))
    .action((options: ApiOptions) => run(commands.reconcile(endpoint(options), json(options))));

  apiCommand(
    program,
    'rebuild',
    're-project the whole event log into ClickHouse, progress on stderr; exit 1 when it fails',
  )
    .addOption(jsonOption('the result ({ ok, position, head, seconds, failure })'))
    .action((options: ApiOptions) => run(commands.rebuild(endpoint(options), json(options))));

  program
    .command('token')
    .description(
      "mint a bearer token from this machine's embedded signing key (the API creates it under " +
        'the data directory on first start); prints the token, or with --dashboard the ' +
        "dashboard's address carrying it",
    )
    .requiredOption('--role <role>', `role(s), comma-separated: ${knownRoles.join(', ')}`, roleList)
    .requiredOption('--actor <id>', 'who the token names (recorded in every event it writes)')
    .option('--ttl <lifetime>', 'lifetime: 900, 15m, 8h, 30d (at most a year)', '1h')
    .option('--dashboard', 'print the dashboard URL with the token instead of the token')
    .option(
      '--api <url>',
      `the API the dashboard URL points at (default: $TANDEM_API_URL, else ${DEFAULT_API_URL})`,
    )
    .action(
      (options: { role: Role[]; actor: string; ttl: string; dashboard?: boolean; api?: string }) =>
        run(
          commands.token({
            roles: options.role,
            actor: options.actor,
            ttl: options.ttl,
            dashboard: options.dashboard === true ? endpoint(options) : null,
          }),
        ),
    );

  program
    .command('migrate')
    .description(
      'apply the ClickHouse migrations to the configured target (TANDEM_CLICKHOUSE, ' +
        'CLICKHOUSE_URL, ...); talks to ClickHouse, not to the API',
    )
    .addOption(jsonOption('the migration report'))
    .action((options: Partial<JsonOption>) => run(commands.migrate(json(options))));

  program
    .command('import')
    .description(
      'bring a history into the event store: facts decided under the active rules, appended ' +
        'whole per lead, resumable, a re-run adds nothing; progress on stderr; talks to the ' +
        'store, not the API (stop the API first when the store is embedded PGlite)',
    )
    .argument('<files...>', 'a canonical JSONL file (docs/import.md), or the CSV files of a preset')
    .addOption(
      new Option('--preset <name>', 'input format').choices(importPresets).default('canonical'),
    )
    .option('--mapping <file>', 'column and value mapping of a CSV file (JSON, docs/import.md)')
    .option('--block-events <n>', 'events per bulk append (whole leads only)', count, 5000)
    .addOption(jsonOption('the import report, every refused row with its file and line'))
    .action(
      (
        files: string[],
        options: { preset: ImportPreset; mapping?: string; blockEvents: number; json?: boolean },
      ) =>
        run(
          commands.import(files, {
            ...json(options),
            preset: options.preset,
            mapping: options.mapping ?? null,
            blockEvents: options.blockEvents,
          }),
        ),
    );

  const rules = program
    .command('rules')
    .description('the shared dictionary: list, publish, compare (what-if) and apply versions');
  apiCommand(rules, 'list', 'published versions, the rule sets built from them, the active one')
    .addOption(jsonOption('{ definitions, ruleSets } as the API returns them'))
    .action((options: ApiOptions) => run(commands.rulesList(endpoint(options), json(options))));
  apiCommand(
    rules,
    'publish',
    'validate a draft (each bad field named) and publish it; nothing is in force until applied',
  )
    .argument('<file>', 'the draft funnel definition (JSON)')
    .addOption(jsonOption('what the API recorded (the new version)'))
    .action((file: string, options: ApiOptions) =>
      run(commands.rulesPublish(endpoint(options), file, json(options))),
    );
  apiCommand(
    rules,
    'what-if',
    'replay the whole history under a draft (progress on stderr) and compare it with the ' +
      'active rules; publishes nothing',
  )
    .argument('<file>', 'the draft funnel definition (JSON)')
    .addOption(jsonOption('the comparison report'))
    .action((file: string, options: ApiOptions) =>
      run(commands.rulesWhatIf(endpoint(options), file, json(options))),
    );
  apiCommand(
    rules,
    'apply',
    'build a published version’s views if needed (progress on stderr), then make it active; ' +
      'apply the previous version to roll back',
  )
    .argument(
      '<version>',
      'a published version number, e.g. 2',
      positiveInt('a version number, e.g. 2'),
    )
    .option(
      '--force',
      'apply even if another activation happens between this command reading the one in force ' +
        'and switching (by default that is refused, 409 activation_changed)',
      false,
    )
    .addOption(jsonOption('the activation ({ active, previous, changed })'))
    .action((version: number, options: ApiOptions & { force: boolean }) =>
      run(
        commands.rulesApply(endpoint(options), version, { ...json(options), force: options.force }),
      ),
    );

  const keys = program
    .command('keys')
    .description(
      'API keys for integrations (imports, marketing automation, downstream tools): create, ' +
        'list, revoke; ops only',
    );
  apiCommand(
    keys,
    'create',
    'create a key scoped to roles; prints the key on stdout once (the API keeps only its hash)',
  )
    .requiredOption('--name <name>', 'what the key is for, e.g. hubspot-sync')
    .requiredOption('--role <role>', `role(s), comma-separated: ${knownRoles.join(', ')}`, roleList)
    .option('--actor <id>', 'who events written with it name (default apikey:<name>)')
    .addOption(jsonOption('the created key, with the key itself in apiKey'))
    .action((options: ApiOptions & { name: string; role: Role[]; actor?: string }) =>
      run(
        commands.keysCreate(endpoint(options), {
          ...json(options),
          name: options.name,
          roles: options.role,
          actor: options.actor ?? null,
        }),
      ),
    );
  apiCommand(keys, 'list', 'every key, revoked ones included: roles, actor, last use; no secrets')
    .addOption(jsonOption('{ keys }'))
    .action((options: ApiOptions) => run(commands.keysList(endpoint(options), json(options))));
  apiCommand(keys, 'revoke', 'revoke a key: the API refuses it from the next request on')
    .argument('<id>', 'the key id (the 16 hex characters after tdk_, as listed)')
    .addOption(jsonOption('{ revoked }'))
    .action((id: string, options: ApiOptions) =>
      run(commands.keysRevoke(endpoint(options), id, json(options))),
    );

  hintHelpAfterErrors(program);
  return program;
}

const count = positiveInt('a positive integer');

/** commander parser for `--role ops` / `--role marketing,sales`: known role names only. */
function roleList(value: string): Role[] {
  const named = value.split(',').map((role) => role.trim());
  const unknown = named.filter((role) => !(knownRoles as readonly string[]).includes(role));
  if (named.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`expected roles among ${knownRoles.join(', ')}`);
  }
  return named as Role[];
}

interface ApiOptions {
  readonly api?: string;
  readonly json?: boolean;
}

function apiCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .option('--api <url>', `the Tandem API (default: $TANDEM_API_URL, else ${DEFAULT_API_URL})`);
}

function jsonOption(what: string): Option {
  return new Option('--json', `print ${what} on stdout as one JSON document`);
}

const json = (options: { json?: boolean }): JsonOption => ({ json: options.json === true });

/** After a usage error, each command points at its own help. */
function hintHelpAfterErrors(command: Command, path: readonly string[] = []): void {
  const words = [...path, command.name()];
  command.showHelpAfterError(`(see '${words.join(' ')} --help')`);
  for (const child of command.commands) hintHelpAfterErrors(child, words);
}

/** commander argument parser for a whole number above zero; `hint` says what was expected. */
function positiveInt(hint: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed <= 0) {
      throw new InvalidArgumentError(`expected ${hint}`);
    }
    return parsed;
  };
}
