/** Kafka topic names: the one place they are spelled. */
export const LEAD_EVENTS_TOPIC = 'tandem.lead-events.v1';
/** Dead letters of a topic: its name + `.dlq`. */
export const LEAD_EVENTS_DLQ_TOPIC = `${LEAD_EVENTS_TOPIC}.dlq`;
