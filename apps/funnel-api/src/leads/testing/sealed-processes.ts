/**
 * Spec helper for the personal-data specs of the lead write path: API processes on one
 * PostgreSQL schema, each with its own pool, vault and caches (what two replicas are), sealing
 * personal data under the same master key unless told otherwise, and the command handler on
 * one of them. Never imported by the app.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Actor, LeadCommand } from '@tandem/domain';
import {
  createPostgresEventStore,
  type EventStore,
  type KeyWrapper,
  MasterKeyWrapper,
  type PersonalDataStore,
  type PostgresEventStore,
  sealed,
  supportsPersonalData,
} from '@tandem/event-store';
import { TEST_POSTGRES_URL } from '@tandem/testing';
import pino from 'pino';
import { ActiveDefinition } from '../../definitions/active-definition.service';
import {
  ExecuteLeadCommand,
  ExecuteLeadCommandHandler,
  type LeadCommandResult,
} from '../execute-lead-command.handler';

export const ops: Actor = { kind: 'user', id: 'olga@example.com', role: 'ops' };

export const eraseCommand: LeadCommand = {
  type: 'EraseLead',
  data: { reason: 'gdpr request' },
};

/** A capture whose contact is personal (sealed) and whose company facts are plain. */
export const captureOf = (name: string, email: string): LeadCommand => ({
  type: 'CaptureLead',
  data: {
    contact: { name, email },
    company: { name: 'Acme', industry: 'software', size: 200, country: 'IT' },
    source: { channel: 'paid_search', campaign: 'q1-search' },
    productInterest: 'funnel_analytics',
    timeframe: '3_months',
    consent: { marketing: true },
  },
});

/** A touchpoint whose content is a personal value. */
export const touchWith = (content: string): LeadCommand => ({
  type: 'RecordTouchpoint',
  data: { touchpointId: '', kind: 'webinar', channel: 'web', campaign: null, content },
});

export function sealedProcesses(schema: string) {
  const masterKey = randomBytes(32);
  const opened: PostgresEventStore[] = [];
  return {
    masterKey,
    /** The inner stores opened so far; the first one's executor reads the key table. */
    opened,
    /** A process on the schema, its keys wrapped by `wrapper` (the shared master key). */
    async processStore(
      wrapper: KeyWrapper = new MasterKeyWrapper(masterKey),
    ): Promise<EventStore & PersonalDataStore> {
      const inner = await createPostgresEventStore({
        connectionString: TEST_POSTGRES_URL,
        schema,
      });
      opened.push(inner);
      const store = sealed(inner, { wrapper });
      if (!supportsPersonalData(store)) throw new Error('a sealed store opens personal data');
      return store;
    },
    async handlerOn(store: EventStore): Promise<ExecuteLeadCommandHandler> {
      const definitions = new ActiveDefinition(store);
      await definitions.onModuleInit();
      return new ExecuteLeadCommandHandler(store, definitions, pino({ level: 'silent' }));
    },
    run(
      handler: ExecuteLeadCommandHandler,
      leadId: string,
      command: LeadCommand,
    ): Promise<LeadCommandResult> {
      return handler.execute(
        new ExecuteLeadCommand(
          leadId,
          command,
          {},
          { actor: ops, correlationId: randomUUID(), causationId: null },
        ),
      );
    },
    async closeAll(): Promise<void> {
      for (const store of opened) await store.close();
    },
  };
}
