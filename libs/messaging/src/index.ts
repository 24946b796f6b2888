/** libs/messaging: Kafka wiring shared by the relay and the projector. */
export * from './kafka.factory';
export * from './lead-events.topics';
export * from './consumer-lag';
export * from './health.server';
