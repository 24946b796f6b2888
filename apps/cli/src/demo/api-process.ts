/**
 * Starts the funnel API as a child process for `tandem demo` and stops it afterwards. The
 * demo drives the API the way every client does, over HTTP: the CLI never loads the API's
 * code (apps do not import each other — the boundary lint holds it), only runs its
 * compiled entry point next to this one in dist/. The child reads the same environment,
 * so it opens the same data directory and engines the demo's config describes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

export interface ApiProcess {
  readonly url: string;
  stop(): Promise<void>;
}

/** dist/apps/cli/src/demo → dist/apps/funnel-api/src/main.js */
const apiEntryPoint = () => path.resolve(__dirname, '../../../funnel-api/src/main.js');

const LISTENING = /^tandem funnel-api listening on (\S+)/;

export async function startApiProcess(
  env: NodeJS.ProcessEnv,
  startTimeoutMs = 120_000,
): Promise<ApiProcess> {
  const entry = apiEntryPoint();
  if (!existsSync(entry)) {
    throw new Error(`the funnel API is not built (${entry} is missing): run \`npm run build\``);
  }
  const child = spawn(process.execPath, [entry], {
    env,
    // stdout carries the "listening on" line (then the API's logs, passed on to stderr so
    // the demo's own stdout stays its report); stderr goes straight through.
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the funnel API did not start within ${startTimeoutMs} ms`)),
      startTimeoutMs,
    );
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const match = LISTENING.exec(line);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1].replace('[::1]', 'localhost'));
      } else {
        process.stderr.write(`${line}\n`);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the funnel API exited before listening (code ${code}, signal ${signal})`));
    });
  });
  return { url, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(killer);
}
