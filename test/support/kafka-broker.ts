/**
 * Test support: a real single-node Apache Kafka broker for jest global setup and integration
 * specs. It drives infra/kafka/kafka.sh (the one source of truth for the broker's settings):
 * picks a free port pair from the OS, gives every run a fresh data directory (mkdtemp), starts
 * the broker, and calls it ready only once an admin client can list topics (then warms up the
 * group coordinator and producer ids, see waitForKafkaReady). The probe uses the runtime's
 * client, @platformatic/kafka.
 * If KAFKA_BROKERS is set, that external cluster is used instead and nothing is started.
 *
 * It must never: fake a broker, wait on a fixed sleep (everything polls with a deadline),
 * reuse or share a data directory between runs, stop or delete anything it did not start, or
 * leave a broker behind (stop() kills and deletes; kafka.sh's watchdog stops the broker if
 * this process dies first).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Admin, Producer } from '@platformatic/kafka';

/** infra/kafka/kafka.sh, resolved from this file so any working directory works. */
export const KAFKA_SCRIPT = path.resolve(__dirname, '../../infra/kafka/kafka.sh');

export interface StartKafkaBrokerOptions {
  /** Parent directory of the fresh per-run data directory (default: the OS temp dir). */
  dataDir?: string;
  /** Client port; when omitted a free pair (client + controller) is asked from the OS. */
  port?: number;
  /**
   * Deadline in ms. Own broker: fetch + start + readiness (default 5 minutes, for a cold Maven
   * fetch). External KAFKA_BROKERS: readiness only (default 60 s).
   */
  timeoutMs?: number;
}

export interface KafkaBroker {
  /** Comma-separated bootstrap list, e.g. `127.0.0.1:40123`. */
  brokers: string;
  /** The broker JVM's pid; undefined for an external cluster (KAFKA_BROKERS). */
  pid: number | undefined;
  /** This run's data directory (removed by stop()); undefined for an external cluster. */
  dataDir: string | undefined;
  /** Stops the broker and removes its data directory. Idempotent. No-op when external. */
  stop(): Promise<void>;
}

const READY_POLL_MS = 100;
const START_ATTEMPTS = 3;

/** Polls `probe` until it returns a value other than undefined, or throws after the deadline. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs, intervalMs = READY_POLL_MS }: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
      const waited = Date.now() - (deadline - timeoutMs);
      throw new Error(`timed out after ${waited} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * True while the pid is a live process. A zombie counts as gone: the broker is reparented to
 * PID 1 when kafka.sh exits, and PID 1 on our machines reaps late, so kill(pid, 0) alone would
 * still succeed for seconds after the JVM has exited.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
  }
  try {
    process.kill(pid, 0); // no /proc (not Linux): fall back to a signal probe
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Two distinct free TCP ports on 127.0.0.1, both held open until both are known. */
export async function freePortPair(): Promise<[number, number]> {
  const listen = (): Promise<Server> =>
    new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    });
  const servers = [await listen(), await listen()];
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  const [a, b] = ports;
  if (a === undefined || b === undefined) throw new Error('could not get two free ports');
  return [a, b];
}

interface ScriptResult {
  stdout: string;
  stderr: string;
}

class KafkaScriptError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}

function runScript(args: string[], timeoutMs: number): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [KAFKA_SCRIPT, ...args],
      { timeout: timeoutMs, killSignal: 'SIGTERM', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const output = `${stdout}${stderr}`.trim();
          reject(
            new KafkaScriptError(`kafka.sh ${args.join(' ')} failed: ${error.message}`, output),
          );
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

/**
 * Resolves once `brokers` serves what Tandem's tests use: an admin client can list topics
 * (the readiness criterion), the group coordinator answers (this creates __consumer_offsets
 * on a fresh broker) and an idempotent producer gets a producer id. The last two only warm
 * the broker up, so the first test's consumer group and producer do not start with a burst
 * of retried "coordinator is loading / not available" errors.
 */
export async function waitForKafkaReady(brokers: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const left = (): number => Math.max(1000, deadline - Date.now());
  const connection = {
    clientId: 'tandem-test-kafka-ready',
    bootstrapBrokers: brokers.split(','),
    connectTimeout: 1000,
    timeout: 5000,
    retries: 0,
  };
  const admin = new Admin(connection);
  try {
    await waitFor(`a Kafka admin client to list topics on ${brokers}`, () => admin.listTopics(), {
      timeoutMs: left(),
    });
    await waitFor(
      `the group coordinator on ${brokers}`,
      () => admin.describeGroups({ groups: ['tandem-test-kafka-ready'] }),
      { timeoutMs: left() },
    );
  } finally {
    await admin.close();
  }
  await waitFor(
    `a producer id from ${brokers}`,
    async () => {
      const producer = new Producer({ ...connection, idempotent: true, retries: 1 });
      try {
        await producer.initIdempotentProducer({});
        return true;
      } finally {
        await producer.close();
      }
    },
    { timeoutMs: left() },
  );
}

async function startLocal(
  parent: string,
  port: number | undefined,
  deadline: number,
): Promise<KafkaBroker> {
  const remaining = (): number => Math.max(1000, deadline - Date.now());
  // Jars first (a cold Maven fetch is the slow part), so the start-up deadline is honest.
  await runScript(['fetch'], remaining());

  for (let attempt = 1; ; attempt++) {
    const [freeA, freeB] = await freePortPair();
    const clientPort = port ?? freeA;
    const controllerPort = port === undefined || port !== freeB ? freeB : freeA;
    const dataDir = await mkdtemp(path.join(parent, 'tandem-kafka-'));
    const startupSeconds = Math.max(10, Math.ceil((deadline - Date.now()) / 1000));
    try {
      // kafka.sh up waits for the port and the "Kafka Server started" log line.
      await runScript(
        [
          'up',
          '--port',
          String(clientPort),
          '--controller-port',
          String(controllerPort),
          '--dir',
          dataDir,
          '--timeout',
          String(startupSeconds),
          '--owner-pid',
          String(process.pid),
        ],
        remaining() + 30_000,
      );
    } catch (error) {
      // kafka.sh stops what it started on its own failures; this covers it being killed.
      await runScript(['down', '--dir', dataDir], 60_000).catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
      // Another process can take an OS-picked port between our probe and the JVM's bind.
      const raced = error instanceof KafkaScriptError && /already in use/.test(error.output);
      if (raced && port === undefined && attempt < START_ATTEMPTS) continue;
      if (error instanceof KafkaScriptError) {
        throw new Error(`${error.message}\n${error.output}`);
      }
      throw error;
    }
    return ownBroker(clientPort, dataDir, deadline);
  }
}

async function ownBroker(port: number, dataDir: string, deadline: number): Promise<KafkaBroker> {
  const brokers = `127.0.0.1:${port}`;
  const pid = Number(readFileSync(path.join(dataDir, 'kafka.pid'), 'utf8').trim());
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await runScript(['down', '--dir', dataDir, '--timeout', '30'], 60_000);
        if (isProcessAlive(pid)) throw new Error(`Kafka broker pid ${pid} is still running`);
      } finally {
        if (!isProcessAlive(pid)) await rm(dataDir, { recursive: true, force: true });
      }
    })();
    return stopping;
  };
  try {
    await waitForKafkaReady(brokers, Math.max(1000, deadline - Date.now()));
  } catch (error) {
    await stop();
    throw error;
  }
  return { brokers, pid, dataDir, stop };
}

/**
 * Starts a fresh single-node broker (or adopts KAFKA_BROKERS) and resolves once an admin
 * client can list topics. Call stop() when done, also on failure paths.
 */
export async function startKafkaBroker(
  options: StartKafkaBrokerOptions = {},
): Promise<KafkaBroker> {
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    await waitForKafkaReady(external, options.timeoutMs ?? 60_000);
    return { brokers: external, pid: undefined, dataDir: undefined, stop: () => Promise.resolve() };
  }
  const deadline = Date.now() + (options.timeoutMs ?? 5 * 60_000);
  return startLocal(options.dataDir ?? tmpdir(), options.port, deadline);
}
