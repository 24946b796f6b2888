/**
 * A replay killed midway (SIGKILL of the API process that runs it) resumes from its checkpoint
 * when asked again, and ends with exactly the views of a replay that was never interrupted.
 * Real processes from dist/, one PostgreSQL store shared by two APIs with their own chDB.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultFunnelDefinition, leadStreamId } from '@tandem/domain';
import { createEventStore } from '@tandem/event-store';
import { eventually } from './support/eventually';
import {
  describeWhenPostgres,
  dropSchema,
  freshSchemaName,
  postgresUnavailableReason,
  TEST_POSTGRES_URL,
} from './support/postgres';
import { scoredLeads } from './support/scored-leads';
import { startWorker, type Worker } from './support/worker-process';
import { asRole } from './support/auth-headers';

jest.setTimeout(600_000);

const draft = {
  ...defaultFunnelDefinition,
  version: 2,
  name: 'Stricter MQL',
  mql: { ...defaultFunnelDefinition.mql, threshold: 65 },
};

interface ReplayView {
  id: string;
  status: string;
  resumed: boolean;
  eventsDone: number;
  eventsTotal: number;
  rulesVersion: number;
  definitionHash: string;
}

describeWhenPostgres(postgresUnavailableReason())('a killed replay', () => {
  const schema = freshSchemaName('rules_resume');
  let dir: string;
  const workers: Worker[] = [];

  const env = (chdb: string) => ({
    TANDEM_EVENT_STORE: 'postgres',
    TANDEM_POSTGRES_URL: TEST_POSTGRES_URL,
    TANDEM_POSTGRES_SCHEMA: schema,
    TANDEM_DATA_DIR: join(dir, chdb),
    TANDEM_REPLAY_BATCH_LEADS: '4',
    TANDEM_LOG_LEVEL: 'warn',
  });

  async function start(chdb: string): Promise<Worker> {
    const worker = await startWorker('funnel-api', env(chdb), 120_000);
    workers.push(worker);
    await eventually(
      async () =>
        (await worker.health<{ projector: { caughtUp: boolean } }>()).projector.caughtUp
          ? true
          : undefined,
      'projection catches up',
      120_000,
    );
    return worker;
  }

  const call = async <T>(worker: Worker, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`http://127.0.0.1:${worker.port}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', ...asRole('ops') },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };

  const replayDraft = (worker: Worker) => call<ReplayView>(worker, '/ops/rules/replays', { draft });

  async function finish(worker: Worker, id: string): Promise<ReplayView[]> {
    const seen: ReplayView[] = [];
    await eventually(
      async () => {
        const view = await call<ReplayView>(worker, `/ops/rules/replays/${id}`);
        seen.push(view);
        if (view.status === 'failed') throw new Error(`replay failed: ${JSON.stringify(view)}`);
        return view.status === 'done' ? true : undefined;
      },
      'the replay finishes',
      300_000,
    );
    return seen;
  }

  /** SHA-256 over the views computed under the draft's rule set. */
  async function fingerprint(worker: Worker, set: ReplayView): Promise<string> {
    const rules = `rulesVersion=${set.rulesVersion}&definitionHash=${set.definitionHash}`;
    const hash = createHash('sha256');
    for (const path of [
      `/analytics/funnel?${rules}`,
      `/analytics/marketing?${rules}&limit=1000`,
      `/analytics/sales?${rules}&limit=1000`,
      `/analytics/marketing/attribution?model=w_shaped&${rules}&limit=1000`,
      `/analytics/alignment?asOf=2026-01-01T00:00:00Z&${rules}&limit=1000`,
      `/analytics/funnel/cohorts?grain=week&${rules}&limit=1000`,
      `/analytics/rules/compare?baseVersion=1&candidateVersion=${set.rulesVersion}&candidateHash=${set.definitionHash}&sample=999`,
    ]) {
      hash.update(path).update(JSON.stringify(await call(worker, path)));
    }
    return hash.digest('hex');
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-rules-resume-'));
    const store = await createEventStore({ kind: 'postgres', url: TEST_POSTGRES_URL, schema });
    try {
      for (const lead of scoredLeads(400, 11)) {
        await store.append(leadStreamId(lead.leadId), lead.events, {
          expectedRevision: 'no_stream',
        });
      }
    } finally {
      await store.close();
    }
  });

  afterAll(async () => {
    for (const worker of workers) await worker.kill('SIGTERM');
    await dropSchema(schema);
    await rm(dir, { recursive: true, force: true });
  });

  it('resumes from its checkpoint and ends with the same hashes as an uninterrupted replay', async () => {
    // Interrupted: kill the API while the replay is between its first and last batch.
    let api = await start('killed');
    const started = await replayDraft(api);
    await eventually(
      async () => {
        const view = await call<ReplayView>(api, `/ops/rules/replays/${started.id}`);
        return view.eventsDone > 0 && view.status === 'running' ? view : undefined;
      },
      'the replay has made progress',
      120_000,
    );
    await api.kill('SIGKILL');

    api = await start('killed');
    const resumed = await replayDraft(api);
    const progress = await finish(api, resumed.id);
    expect(progress.some((view) => view.resumed)).toBe(true);
    const done = progress.at(-1)!;
    expect(done.eventsDone).toBe(done.eventsTotal);
    const afterKill = await fingerprint(api, done);

    // Uninterrupted: another API on the same store, with analytics of its own.
    const clean = await start('clean');
    const straight = await replayDraft(clean);
    const straightDone = (await finish(clean, straight.id)).at(-1)!;
    expect(straightDone.resumed).toBe(false);
    expect(await fingerprint(clean, straightDone)).toBe(afterKill);
  });
});
