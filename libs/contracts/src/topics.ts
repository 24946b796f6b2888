/** Kafka topic names: the one place they are spelled. */
export const LEAD_EVENTS_TOPIC = 'tandem.lead-events.v1';
export const LEAD_EVENTS_DLQ_TOPIC = 'tandem.lead-events.v1.dlq';
