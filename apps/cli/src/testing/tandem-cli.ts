/**
 * The built `tandem` CLI (dist/apps/cli/src/main.js, as `npm run tandem` runs it) as a child
 * process in the repository's root, with exactly the environment given; with `killWhen`,
 * SIGKILLed once its stderr so far matches. Test code only (needs `npm run build`).
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../..');
const CLI = path.join(ROOT, 'dist/apps/cli/src/main.js');

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runTandemCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  killWhen?: (stderr: string) => boolean,
): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (killWhen?.(stderr) === true && child.exitCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
