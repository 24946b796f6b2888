/**
 * `tandem` — the ops command line (`tandem --help` lists the commands, their
 * options and the exit codes). This file wires each command to its
 * implementation and the terminal; parsing, help and error translation live in
 * tandem.program.ts. Commands other than `demo`, `migrate` and `import` talk to a
 * running funnel API (TANDEM_API_URL or --api), which in embedded mode is the one
 * process that owns the data.
 */
import { loadConfig } from '@tandem/config';
import { type ApiEndpoint, ApiClient } from './api-client';
import { credentialsFromEnvironment } from './auth/api-credentials';
import { terminalCliIo } from './cli-io';
import { createKey, listKeys, revokeKey } from './ops/keys.command';
import { rebuildProjections } from './ops/rebuild.command';
import { reconcileCommand } from './ops/reconcile.command';
import { statusCommand } from './ops/status.command';
import { readTextFile } from './rules/rules-draft';
import { applyRules } from './rules/rules-apply.command';
import { terminalIo } from './rules/rules-io';
import { whatIfRules } from './rules/rules-what-if.command';
import { listRules, publishRules } from './rules/rules.command';
import { runTandem, type TandemCommands } from './tandem.program';

const credentials = credentialsFromEnvironment(process.env);
const client = (api: ApiEndpoint) => new ApiClient(api.url, api.source, credentials);

// demo (NestJS, PGlite, chDB) and migrate (ClickHouse) load their engines only
// when run, so `tandem --help` and the API commands start in a fraction of the time.
const commands: TandemCommands = {
  demo: async (options) => {
    const { runDemo } = await import('./demo/demo.command');
    return runDemo(loadConfig(), options);
  },
  status: (api) => statusCommand(client(api)),
  reconcile: (api, options) => reconcileCommand(client(api), options),
  rebuild: (api, options) => rebuildProjections(client(api), options),
  token: async ({ roles, actor, ttl, dashboard }) => {
    const { mintToken, parseTokenTtl } = await import('./auth/token.command');
    const ttlSeconds = parseTokenTtl(ttl);
    const dashboardUrl = dashboard === null ? null : dashboard.url;
    console.log(await mintToken(loadConfig(), { roles, actor, ttlSeconds, dashboardUrl }));
    return 0;
  },
  migrate: async ({ json }) => {
    const { migrateCommand } = await import('./ops/migrate.command');
    return migrateCommand(loadConfig().clickhouse, { json }, terminalCliIo);
  },
  import: async (files, options) => {
    const { importCommand } = await import('./import/import.command');
    const progressEveryMs = process.stderr.isTTY ? 1000 : 0;
    return importCommand(files, { ...options, progressEveryMs }, terminalCliIo);
  },
  rulesList: (api, options) => listRules(client(api), console.log, options),
  rulesPublish: (api, file, { json }) =>
    publishRules(client(api), file, console.log, readTextFile, { json, warn: console.error }),
  rulesWhatIf: (api, file, options) => whatIfRules(client(api), file, options, terminalIo),
  rulesApply: (api, version, options) => applyRules(client(api), version, terminalIo, options),
  keysCreate: (api, options) => createKey(client(api), options, terminalCliIo),
  keysList: (api, options) => listKeys(client(api), options, terminalCliIo),
  keysRevoke: (api, keyId, options) => revokeKey(client(api), keyId, options, terminalCliIo),
};

// A reader that stops early (`tandem --help | head`) closes the pipe: what is left to print has
// nobody to read it. Without a listener the EPIPE is an uncaught error with a stack trace; the
// command goes on and exits with its own code.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

void runTandem(process.argv.slice(2), commands, {
  env: process.env,
  writeOut: (text) => process.stdout.write(text),
  writeErr: (text) => process.stderr.write(text),
}).then((code) => {
  // Exit once stdout has drained: a large --json document piped elsewhere must arrive whole.
  process.stdout.write('', () => process.exit(code));
});
