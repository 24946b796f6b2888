/**
 * Runs a Tandem worker (relay, projector) as a real child process from the
 * built `dist/`, as production would, so tests can SIGKILL it mid-flight. Its
 * health endpoint is polled to know when it is up and how far it got.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { asRole, testAuthEnv } from './auth-headers';

const ROOT = path.resolve(__dirname, '../..');

export interface Worker {
  readonly name: string;
  readonly port: number;
  readonly process: ChildProcess;
  readonly output: () => string;
  health<T = Record<string, unknown>>(): Promise<T>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startWorker(
  app: 'relay' | 'projector' | 'funnel-api',
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<Worker> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps', app, 'src/main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      // An API process trusts the test key (auth-headers), as the in-process fixture does.
      ...(app === 'funnel-api' ? testAuthEnv() : {}),
      ...env,
      TANDEM_PORT: String(port),
      TANDEM_HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const worker: Worker = {
    name: app,
    port,
    process: child,
    output: () => output,
    health: async <T>() => {
      // The relay's and projector's health servers ignore the header; the API requires it.
      const response = await fetch(`http://127.0.0.1:${port}/health`, {
        headers: asRole('ops', 'worker-health@test.tandem'),
      });
      return (await response.json()) as T;
    },
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${app} exited with ${child.exitCode}:\n${output}`);
    try {
      await worker.health();
      return worker;
    } catch {
      if (Date.now() > deadline) {
        await worker.kill('SIGKILL');
        throw new Error(`${app} did not answer /health within ${timeoutMs} ms:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
