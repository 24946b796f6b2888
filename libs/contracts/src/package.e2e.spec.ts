/**
 * @tandem/contracts as a downstream team gets it: `npm pack` (libs/contracts/pack.sh), the
 * tarball installed into a scratch project outside the repo with nothing of Tandem but that
 * tarball, a TypeScript check of the consumer against the package's own declarations, and a
 * plain Node consumer that reads real messages from the real broker through the package's
 * kafkajs helper. The messages are written by the relay's codec through kafkajs, in both
 * header forms the topic holds (CloudEvents, and the tandem-* form of older messages).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '@tandem/config';
import { ensureLeadEventTopics } from '@tandem/messaging';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { encodeForStore, type StoredEventLike } from './envelope.codec';
import { toEventMessage } from './kafka-message.codec';

jest.setTimeout(300_000);

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..', '..');
const CONTRACTS = path.join(ROOT, 'libs', 'contracts');

let position = 0n;
function stored(type: 'LeadRecycled' | 'LeadMerged', leadId: string): StoredEventLike {
  const event =
    type === 'LeadRecycled'
      ? ({ type, data: { from: 'mql', reason: 'no answer' } } as const)
      : ({ type, data: { intoLeadId: randomUUID() } } as const);
  const record = encodeForStore(event, {
    eventId: randomUUID(),
    leadId,
    accountId: null,
    occurredAt: new Date().toISOString(),
    correlationId: randomUUID(),
    causationId: null,
    actor: { kind: 'service', id: 'package-test', role: 'system' },
  });
  position++;
  return {
    ...record,
    streamId: `lead-${leadId}`,
    streamRevision: 0n,
    globalPosition: position,
    recordedAt: new Date(),
  };
}

/** The consumer a downstream team would write: only @tandem/contracts and kafkajs. */
const consumerJs = `
const { Kafka, logLevel } = require('kafkajs');
const { subscribeToLeadEvents, LEAD_EVENTS_TOPIC } = require('@tandem/contracts');
const [brokers, topic, count] = [process.env.BROKERS, process.env.TOPIC, Number(process.env.COUNT)];
const kafka = new Kafka({ clientId: 'scratch', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const seen = [];
(async () => {
  const subscription = await subscribeToLeadEvents({
    kafka, topic, groupId: 'scratch-' + process.pid, fromBeginning: true,
    handle: async (event) => {
      seen.push({ eventId: event.eventId, type: event.type, leadId: event.leadId });
      if (seen.length === count) {
        process.stdout.write(JSON.stringify({ defaultTopic: LEAD_EVENTS_TOPIC, seen }) + '\\n');
        setImmediate(() => subscription.stop().then(() => process.exit(0)));
      }
      return 'ok';
    },
  });
})().catch((error) => { console.error(error); process.exit(1); });
`;

/** The same consumer's types: compiled against the package's declarations only. */
const consumerTs = `
import { decodeMessage, type TandemEnvelope, type HandleOutcome } from '@tandem/contracts';
export function owner(value: Uint8Array, headers: Record<string, string>): string | null {
  const decoded = decodeMessage({ value, headers });
  if (!decoded.ok) return null;
  const event: TandemEnvelope = decoded.envelope;
  if (event.type !== 'LeadHandedToSales') return null;
  // Proves the types are real, not any: a field the event does not have is an error.
  // @ts-expect-error LeadHandedToSales has no amount
  void event.data.amount;
  return event.data.owner;
}
export const outcome: HandleOutcome = 'ok';
`;

describe('@tandem/contracts, packed and installed on its own', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'tandem-contracts-consumer-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('installs from its tarball, type-checks a consumer, and decodes real messages', async () => {
    const brokers = process.env.TANDEM_TEST_KAFKA_BROKERS;
    if (!brokers) throw new Error('TANDEM_TEST_KAFKA_BROKERS is not set: the int setup starts it');

    const { stdout: packed } = await run('bash', [path.join(CONTRACTS, 'pack.sh'), scratch]);
    const tarball = packed.trim().split('\n').at(-1)!;
    await writeFile(
      path.join(scratch, 'package.json'),
      JSON.stringify({ name: 'contracts-consumer', version: '0.0.0', private: true }),
    );
    await run(
      'npm',
      // Both clients the adapters name: the declarations type-check with either installed
      // (this consumer runs on kafkajs).
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        tarball,
        'kafkajs@2.2.4',
        '@platformatic/kafka@2.12.1',
      ],
      { cwd: scratch },
    );

    // Its only runtime dependency is its own; nothing else of Tandem came along.
    const manifest = JSON.parse(
      await readFile(path.join(scratch, 'node_modules/@tandem/contracts/package.json'), 'utf8'),
    ) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).toEqual(['zod']);
    const { stdout: tree } = await run('npm', ['ls', '--all', '--omit=dev', '--parseable'], {
      cwd: scratch,
    });
    const tandem = tree
      .split('\n')
      .filter((line) => line.includes(`${path.sep}@tandem${path.sep}`));
    expect(tandem.map((line) => path.basename(line))).toEqual(['contracts']);

    // The declarations stand alone: a TypeScript consumer compiles against them.
    await writeFile(path.join(scratch, 'consumer.ts'), consumerTs);
    await writeFile(
      path.join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          esModuleInterop: true,
          module: 'commonjs',
          moduleResolution: 'node',
          target: 'ES2022',
          lib: ['ES2023'],
          skipLibCheck: false,
          typeRoots: [path.join(ROOT, 'node_modules/@types')],
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    await run(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', scratch], { cwd: scratch }).catch(
      (error: Error & { stdout?: string }) => {
        throw new Error(`the consumer does not type-check:\n${error.stdout ?? error.message}`);
      },
    );

    // Real messages on a topic of their own, written by the relay's codec through kafkajs.
    const topic = `tandem.test.package.${randomUUID()}`;
    const config = loadConfig({
      TANDEM_KAFKA: 'on',
      KAFKA_BROKERS: brokers,
      TANDEM_KAFKA_TOPIC: topic,
      TANDEM_KAFKA_PARTITIONS: '1',
      TANDEM_KAFKA_REPLICATION: '1',
    });
    await ensureLeadEventTopics(config.kafka!);
    // The scratch consumer runs on kafkajs: the messages are written with kafkajs too.
    const kafka = new Kafka({
      clientId: 'package-test',
      brokers: [...config.kafka!.brokers],
      logLevel: logLevel.WARN,
    });
    const leadId = randomUUID();
    const [older, newer] = [stored('LeadRecycled', leadId), stored('LeadMerged', leadId)];
    const olderMessage = toEventMessage(older);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [
        {
          ...olderMessage,
          headers: Object.fromEntries(
            Object.entries(olderMessage.headers).filter(([name]) => name.startsWith('tandem-')),
          ),
        },
        toEventMessage(newer),
      ],
    });
    await producer.disconnect();

    await writeFile(path.join(scratch, 'consume.js'), consumerJs);
    const { stdout } = await run('node', ['consume.js'], {
      cwd: scratch,
      env: { ...process.env, BROKERS: brokers, TOPIC: topic, COUNT: '2' },
      timeout: 120_000,
    });
    expect(JSON.parse(stdout.trim())).toEqual({
      defaultTopic: 'tandem.lead-events.v1',
      seen: [
        { eventId: older.eventId, type: 'LeadRecycled', leadId },
        { eventId: newer.eventId, type: 'LeadMerged', leadId },
      ],
    });
  });
});
