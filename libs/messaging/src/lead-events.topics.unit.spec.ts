/**
 * What the relay says when a topic's largest message stays below TANDEM_KAFKA_MAX_MESSAGE_BYTES
 * and the broker refuses to raise it. The raise itself runs on the real broker in
 * test/relay-message-size.int.spec.ts.
 */
import { topicLimitRefusal } from './lead-events.topics';

describe('topicLimitRefusal', () => {
  it('names each topic, its value, the setting, the command that raises it and the way round', () => {
    const message = topicLimitRefusal(
      [
        { topic: 'tandem.lead-events.v1', maxMessageBytes: 1_048_588 },
        { topic: 'tandem.lead-events.v1.dlq', maxMessageBytes: 2_000_000 },
      ],
      {
        brokers: ['k1:9092', 'k2:9092'],
        topic: {
          name: 'tandem.lead-events.v1',
          dlq: 'tandem.lead-events.v1.dlq',
          partitions: 6,
          replicationFactor: 3,
          retentionMs: -1,
          maxMessageBytes: 8_388_608,
        },
      },
      'TOPIC_AUTHORIZATION_FAILED',
    );
    expect(message).toBe(
      'max.message.bytes of topic tandem.lead-events.v1 (1048588), tandem.lead-events.v1.dlq ' +
        '(2000000) is below TANDEM_KAFKA_MAX_MESSAGE_BYTES (8388608), and the broker refused to ' +
        'raise it (TOPIC_AUTHORIZATION_FAILED). Raise it with: kafka-configs.sh --bootstrap-server ' +
        'k1:9092,k2:9092 --alter --entity-type topics --entity-name tandem.lead-events.v1 ' +
        '--add-config max.message.bytes=8388608 ; kafka-configs.sh --bootstrap-server ' +
        'k1:9092,k2:9092 --alter --entity-type topics --entity-name tandem.lead-events.v1.dlq ' +
        '--add-config max.message.bytes=8388608 - or set TANDEM_KAFKA_MAX_MESSAGE_BYTES=1048588 ' +
        'to publish within it (an event larger than that then stops the relay, named).',
    );
  });
});
