/** Typed failures of the event-store port; the API maps them to HTTP codes at its edge. */

export class EventStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The stream's current revision is not what the writer expected (optimistic concurrency). */
export class WrongExpectedRevisionError extends EventStoreError {
  constructor(
    readonly streamId: string,
    readonly expected: string,
    /** `null` when the stream does not exist. */
    readonly actual: bigint | null,
  ) {
    super(
      `stream ${streamId}: expected revision ${expected}, but the stream is at ${
        actual === null ? 'no stream' : actual.toString()
      }`,
    );
  }
}

/** An event id that is already in the store was appended again. */
export class DuplicateEventIdError extends EventStoreError {
  constructor(readonly eventId: string) {
    super(`event ${eventId} is already recorded`);
  }
}

export class CheckpointConflictError extends EventStoreError {
  constructor(
    readonly checkpoint: string,
    readonly expected: bigint | null,
    readonly actual: bigint | null,
  ) {
    super(
      `checkpoint ${checkpoint}: expected ${expected === null ? 'none' : expected.toString()}, found ${
        actual === null ? 'none' : actual.toString()
      }`,
    );
  }
}

/** An append that the store cannot accept as given (empty batch, bad stream id, non-JSON data). */
export class InvalidAppendError extends EventStoreError {}

/**
 * An append under an idempotency reservation that no longer holds the key (its lease ran
 * out and another attempt took it over), or a second append under one reservation.
 * Nothing was written.
 */
export class ReservationLostError extends EventStoreError {
  constructor(
    readonly scopeKey: string,
    reason: string,
  ) {
    super(`idempotency key ${scopeKey.slice(0, 12)}…: ${reason}`);
  }
}
