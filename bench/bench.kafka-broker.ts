/**
 * Kafka client bench: the broker. KAFKA_BROKERS, when set, is used as is (nothing started or
 * stopped). Otherwise a fresh single-node broker is started through infra/kafka/kafka.sh on
 * two OS-picked loopback ports with a fresh data directory, and stop() stops it and deletes
 * the directory. kafka.sh's watchdog (--owner-pid) stops the broker if this process dies first.
 * A trimmed copy of test/support/kafka-broker.ts, which is not part of the build.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

export interface BenchBroker {
  readonly brokers: string;
  /** True when KAFKA_BROKERS was used: the caller must clean up what it created there. */
  readonly external: boolean;
  stop(): Promise<void>;
}

/** infra/kafka/kafka.sh, found upwards from this file (bench/ or dist/bench/). */
function kafkaScript(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'infra', 'kafka', 'kafka.sh');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir)
      throw new Error(`infra/kafka/kafka.sh not found above ${__dirname}`);
  }
}

function runScript(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [kafkaScript(), ...args],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`kafka.sh ${args[0]} failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

async function freePortPair(): Promise<[number, number]> {
  const listen = (): Promise<Server> =>
    new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    });
  const servers = [await listen(), await listen()];
  const [a, b] = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  if (a === undefined || b === undefined) throw new Error('could not get two free ports');
  return [a, b];
}

/** Polls until an admin client lists topics, the group coordinator answers and a producer id is issued. */
async function waitForReady(brokers: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const kafka = new Kafka({
    clientId: 'tandem-bench-ready',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  });
  let lastError: unknown;
  while (Date.now() < deadline) {
    const admin = kafka.admin({ retry: { retries: 0 } });
    const producer = kafka.producer({ idempotent: true, retry: { retries: 1 } });
    try {
      await admin.connect();
      await admin.listTopics();
      await admin.describeGroups(['tandem-bench-ready']);
      await producer.connect();
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  }
  const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`Kafka at ${brokers} was not ready within ${timeoutMs} ms${reason}`);
}

export async function startBenchBroker(timeoutMs = 180_000): Promise<BenchBroker> {
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    await waitForReady(external, 60_000);
    return { brokers: external, external: true, stop: () => Promise.resolve() };
  }
  const [port, controllerPort] = await freePortPair();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tandem-bench-kafka-'));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= runScript(['down', '--dir', dataDir, '--timeout', '30'], 60_000)
      .then(() => rm(dataDir, { recursive: true, force: true }))
      .then(() => undefined);
    return stopping;
  };
  try {
    await runScript(
      [
        'up',
        ...['--port', String(port), '--controller-port', String(controllerPort)],
        ...['--dir', dataDir, '--timeout', String(Math.ceil(timeoutMs / 1000))],
        ...['--owner-pid', String(process.pid)],
      ],
      timeoutMs + 30_000,
    );
    const brokers = `127.0.0.1:${port}`;
    await waitForReady(brokers, 60_000);
    return { brokers, external: false, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
