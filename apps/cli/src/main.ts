/**
 * `tandem` — the ops command line.
 *   demo [--reset] [--leads N] [--concurrency N] [--seed N]   simulate a quarter, print both lenses
 *   reconcile [--api URL]                                       exit 1 when the lenses or a rule set disagree
 *   status [--api URL]                                          store head and projection position
 *   migrate                                                     apply ClickHouse migrations (configured target)
 *   rebuild [--api URL]                                         re-project the whole log into ClickHouse
 *   rules publish <file> | rules list [--api URL]               the shared dictionary
 *   rules what-if <file> [--json] [--api URL]                   compare a draft with the active rules
 *   rules apply <version> [--api URL]                           build a version's views, make it active
 * Commands other than `demo` talk to a running funnel API (TANDEM_API_URL or
 * --api), which in embedded mode is the one process that owns the data.
 */
import { parseArgs } from 'node:util';
import { reconcileCommand } from './ops/reconcile.command';
import { ConfigError, loadConfig } from '@tandem/config';
import { ApiClient } from './api-client';
import { runDemo } from './demo/demo.command';
import { migrateAnalytics } from './ops/migrate.command';
import { rebuildProjections } from './ops/rebuild.command';
import { listRules, publishRules } from './rules/rules.command';
import { applyRules } from './rules/rules-apply.command';
import { whatIfRules } from './rules/rules-what-if.command';

const usage = `usage: tandem <command> [options]
  demo [--reset] [--leads N] [--concurrency N] [--seed N]
  reconcile [--api URL]
  status [--api URL]
  migrate
  rebuild [--api URL]
  rules publish <file> [--api URL]
  rules list [--api URL]
  rules what-if <file> [--json] [--api URL]
  rules apply <version> [--api URL]`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) {
    throw new UsageError(`--${name} must be a positive integer (got ${value})`);
  }
  return parsed;
}

function rulesVersion(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed <= 0) {
    throw new UsageError(`rules apply takes a version number (got ${value})`);
  }
  return parsed;
}

class UsageError extends Error {}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      reset: { type: 'boolean', default: false },
      leads: { type: 'string' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      api: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (command !== 'rules' && positionals.length > 0) {
    throw new UsageError(`unexpected argument ${positionals[0]}`);
  }
  const apiUrl = values.api ?? process.env.TANDEM_API_URL ?? 'http://127.0.0.1:3000';
  switch (command) {
    case 'demo':
      return runDemo(loadConfig(), {
        reset: values.reset ?? false,
        leads: positiveInt('leads', values.leads, 2000),
        concurrency: positiveInt('concurrency', values.concurrency, 8),
        seed: positiveInt('seed', values.seed, 20260101),
      });
    case 'reconcile':
      return reconcileCommand(apiUrl);
    case 'migrate': {
      const config = loadConfig();
      const report = await migrateAnalytics(config.clickhouse);
      console.log(
        `ClickHouse ${report.database}: applied ${report.applied.length} (${report.applied.join(', ') || 'none'}), ` +
          `${report.alreadyApplied.length} already applied`,
      );
      return 0;
    }
    case 'rules': {
      const api = new ApiClient(apiUrl);
      const [action, argument, extra] = positionals;
      if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
      if (action === 'list' && argument === undefined) return listRules(api);
      if (action === 'publish' && argument) return publishRules(api, argument);
      if (action === 'what-if' && argument) {
        return whatIfRules(api, argument, { json: values.json ?? false });
      }
      if (action === 'apply' && argument) return applyRules(api, rulesVersion(argument));
      throw new UsageError('rules takes: publish <file> | list | what-if <file> | apply <version>');
    }
    case 'rebuild':
      return rebuildProjections(new ApiClient(apiUrl));
    case 'status':
      console.log(JSON.stringify(await new ApiClient(apiUrl).get('/health'), null, 2));
      return 0;
    case undefined:
      throw new UsageError('no command given');
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof ConfigError) {
      console.error(`${error.message}\n${usage}`);
      process.exit(2);
    }
    if (
      error instanceof TypeError &&
      'code' in error &&
      String(error.code).startsWith('ERR_PARSE_ARGS')
    ) {
      console.error(`${error.message}\n${usage}`);
      process.exit(2);
    }
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
