/**
 * The fences of the Kafka client factory, checked without a broker: every producer is
 * idempotent with acks=all and partitions as the Java client does, every stream reads from
 * committed offsets without autocommit. The broker-side behaviour (commit only after the
 * batch, stale partitions dropped) is in test/kafka-pipeline.e2e.spec.ts.
 */
import { randomUUID } from 'node:crypto';
import { compatibilityPartitioner, defaultPartitioner, ProduceAcks } from '@platformatic/kafka';
import type { KafkaConfig } from '@tandem/config';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { consumeFences, consumerOptions, kafkaBaseOptions, producerOptions } from './kafka.factory';

const config: KafkaConfig = {
  brokers: ['127.0.0.1:9092'],
  clientId: 'tandem',
  ssl: false,
  sasl: null,
  topic: {
    name: 'tandem.lead-events.v1',
    dlq: 'tandem.lead-events.v1.dlq',
    partitions: 6,
    replicationFactor: 1,
    retentionMs: 1,
    maxMessageBytes: 8 * 1024 * 1024,
  },
  consumerGroup: 'tandem-projector',
  relayBatchSize: 500,
};

describe('Kafka client factory', () => {
  it('builds idempotent producers (acks=all) with the Java-compatible partitioner', () => {
    const options = producerOptions(config, 'relay');
    expect(options).toMatchObject({
      clientId: 'tandem-relay',
      idempotent: true,
      acks: ProduceAcks.ALL,
      autocreateTopics: false,
    });
    expect(options.partitioner).toBe(compatibilityPartitioner);
  });

  it('puts every lead key on the partition the Java client (and kafkajs) picks', () => {
    const partitions = 6;
    const metadata: PartitionMetadata[] = Array.from({ length: partitions }, (_, id) => ({
      partitionId: id,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    }));
    const java = Partitioners.DefaultPartitioner();
    const keys = Array.from({ length: 2_000 }, () => randomUUID());
    const platformatic = (partitioner: typeof compatibilityPartitioner, key: string) =>
      partitioner({ topic: 't' }, Buffer.from(key)) % partitions;
    const expected = keys.map((key) =>
      java({ topic: 't', partitionMetadata: metadata, message: { key, value: null } }),
    );
    expect(keys.map((key) => platformatic(compatibilityPartitioner, key))).toEqual(expected);
    // Why the fence exists: the client's default partitioner disagrees for about half the keys.
    const moved = keys.filter(
      (key, i) => platformatic(defaultPartitioner, key) !== expected[i],
    ).length;
    expect(moved).toBeGreaterThan(keys.length / 4);
  });

  it('streams from committed offsets (earliest for a new group) and never autocommits', () => {
    expect(consumeFences).toEqual({
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
    });
    expect(consumerOptions(config, 'tandem-projector', 'projector')).toMatchObject({
      groupId: 'tandem-projector',
      autocommit: false,
    });
  });

  it("fetches a partition up to the topics' largest message, 4 MiB at least", () => {
    const fetchSizes = (maxMessageBytes: number) => {
      const options = consumerOptions(
        { ...config, topic: { ...config.topic, maxMessageBytes } },
        'g',
      );
      return { perPartition: options.maxBytesPerPartition, total: options.maxBytes };
    };
    expect(fetchSizes(1024 * 1024)).toEqual({ perPartition: 4 << 20, total: 50 << 20 });
    expect(fetchSizes(8 << 20)).toEqual({ perPartition: 8 << 20, total: 50 << 20 });
    expect(fetchSizes(64 << 20)).toEqual({ perPartition: 64 << 20, total: 64 << 20 });
  });

  it('maps TLS and the SASL mechanism names to the client’s', () => {
    const secured = kafkaBaseOptions({
      ...config,
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
    });
    expect(secured).toMatchObject({
      tls: {},
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' },
    });
    expect(kafkaBaseOptions(config)).not.toHaveProperty('sasl');
    expect(kafkaBaseOptions(config)).not.toHaveProperty('tls');
  });
});
