/**
 * Exact under crashes on the write path itself (issue 10, item 4): the API is SIGKILLed at
 * randomized moments while several clients send it lead commands at once — captures, touches
 * (with and without a touchpointId), profiles, MQL decisions, hand-offs and merges, some with
 * an Idempotency-Key and some without — so that appends are in flight in the group-commit
 * dispatcher (ADR 0013) and in keyed transactions (ADR 0007) when it dies. After each restart
 * every client sends again what it may retry: every keyed command it sent, answered or not, and
 * every touch naming its touchpointId (the retry a client without keys makes, 10960b9). Then:
 * - a command answered 2xx before the kill is in the store, with exactly the events, ids and
 *   revision it was answered with; its keyed retry gets that same answer, marked
 *   Idempotent-Replayed; its touch retry appends nothing;
 * - no command is in the store twice, nor in part: the events under a command's correlation id
 *   are all of what it was answered, or (never answered) at most what it decides, and a merge's
 *   survivor record (DuplicateMergedIn) is there exactly when its LeadMerged is; a keyed retry
 *   refused (4xx) means its first attempt wrote nothing; each touchpointId is one touch per
 *   lead; every captured lead has its personal-data key and every key its capture;
 * - once caught up, every view is byte for byte what a clean projection of the same events
 *   gives.
 * On PostgreSQL and on the embedded PGlite store (a WASM engine writing its data directory:
 * whatever it acknowledged must be on disk when the process dies). Real processes from dist/;
 * TANDEM_CRASH_SEED=<seed> replays the commands and the schedule.
 */
import { isDeepStrictEqual } from 'node:util';
import { leadStreamId, type Role } from '@tandem/domain';
import { createEventStore, type RecordedEvent } from '@tandem/event-store';
import { SeededRandom } from '../apps/cli/src/demo/seeded-random';
import { asRole } from './support/auth-headers';
import { baseUrl, crashLog, crashSeed, expectSameViews, pause, settle } from './support/crash-api';
import {
  type CrashStoreKind,
  crashLeg,
  crashStoreConfig,
  pgliteCrashStore,
  postgresCrashStore,
} from './support/crash-stores';
import { eventually } from './support/eventually';
import { readViews } from './support/view-fingerprint';
import type { Worker } from './support/worker-process';

jest.setTimeout(600_000);

const seed = crashSeed('write-path-crash');

/** Kills per store, each among the commands of one round. */
const ROUNDS = 3;
/** Clients sending at once, each its own leads, one command after another. */
const CLIENTS = 6;
/** Pairs of leads per client and round (a pair is 13 commands, the second lead merged). */
const PAIRS = 4;

/** One command as a client sends it, and retries it: the same key, body and correlation id. */
interface Command {
  readonly path: string;
  readonly role: Role;
  readonly body: Record<string, unknown>;
  readonly key: string | null;
  readonly correlationId: string;
  /** What a client may send again: a keyed command, or a touch naming its touchpointId. */
  readonly retried: boolean;
}

interface Answer {
  readonly status: number;
  readonly replayed: boolean;
  readonly body: unknown;
}

interface Sent {
  readonly command: Command;
  /** Null when the kill cut the request off (unanswered, perhaps committed). */
  first: Answer | null;
  retry?: Answer;
}

interface CommandAnswer {
  readonly leadId: string;
  readonly revision: number;
  readonly events: readonly { eventId: string; type: string }[];
}

const ok = (answer: Answer | null | undefined): answer is Answer =>
  answer != null && answer.status >= 200 && answer.status < 300;

/** A command as the failures name it: its path, whether it had a key, its correlation id. */
const named = (command: Command) =>
  `${command.path} ${command.key === null ? 'unkeyed' : 'keyed'} (${command.correlationId})`;

/** The events a 2xx answer names; null for any other answer (a problem body has none). */
const answeredEvents = (answer: Answer | null | undefined) =>
  ok(answer) ? (answer.body as CommandAnswer).events : null;

/**
 * One client's commands for a round: pairs of leads, the first taken through touches, a profile,
 * the MQL decision and a hand-off, the second merged into it and then sent its touch again.
 * Which ones carry a key is drawn from `rng`, as are the ids.
 */
function clientCommands(rng: SeededRandom, client: string): Command[] {
  const commands: Command[] = [];
  const add = (path: string, role: Role, body: Record<string, unknown>, keyed: boolean) => {
    const correlationId = rng.uuid();
    const key = keyed ? `crash-${correlationId}` : null;
    const retried = keyed || typeof body.touchpointId === 'string';
    commands.push({ path, role, body, key, correlationId, retried });
  };
  const touch = (kind: string, touchpointId: string | null) => ({
    ...(touchpointId === null ? {} : { touchpointId }),
    kind,
    channel: 'paid_search',
    campaign: `crash-${client}`,
  });
  for (let pair = 0; pair < PAIRS; pair++) {
    const [lead, duplicate] = [rng.uuid(), rng.uuid()];
    for (const leadId of [lead, duplicate]) {
      const n = Number.parseInt(leadId.slice(0, 4), 16);
      add(
        '/leads',
        'marketing',
        {
          leadId,
          contact: { name: `Crash Lead ${n}`, email: `crash.${leadId.slice(0, 8)}@example.com` },
          company: { name: `Crash Account ${n % 40}`, industry: 'software', size: 50 + (n % 900) },
          source: { channel: 'paid_search', campaign: `crash-${client}`, medium: 'paid' },
          productInterest: 'funnel_analytics',
          timeframe: '3_months',
          consent: { marketing: true },
        },
        rng.chance(0.6),
      );
    }
    const duplicateTouch = touch('page_view', rng.uuid());
    add(`/leads/${duplicate}/touchpoints`, 'marketing', duplicateTouch, false);
    for (const kind of ['page_view', 'content_download', 'webinar']) {
      add(`/leads/${lead}/touchpoints`, 'marketing', touch(kind, rng.uuid()), rng.chance(0.4));
    }
    // A touch whose id the server mints: only a key makes its retry safe.
    add(`/leads/${lead}/touchpoints`, 'marketing', touch('email_click', null), rng.chance(0.5));
    add(`/leads/${lead}/profile`, 'marketing', { role: 'cmo' }, rng.chance(0.5));
    add(`/leads/${lead}/touchpoints`, 'marketing', touch('demo_request', rng.uuid()), false);
    add(`/leads/${lead}/mql`, 'marketing', {}, rng.chance(0.6));
    add(
      `/leads/${lead}/handoff`,
      'marketing',
      { owner: `owner-${client}`, team: 'emea' },
      rng.chance(0.6),
    );
    add(`/leads/${duplicate}/merge`, 'ops', { intoLeadId: lead }, rng.chance(0.6));
    // The duplicate's touch again, after its merge: recorded before, so answered, not counted.
    add(`/leads/${duplicate}/touchpoints`, 'marketing', duplicateTouch, false);
  }
  return commands;
}

/** The POST as its client sends it; null when the connection died before an answer. */
async function send(api: Worker, command: Command): Promise<Answer | null> {
  try {
    const response = await fetch(`${baseUrl(api)}${command.path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-correlation-id': command.correlationId,
        ...(command.key === null ? {} : { 'idempotency-key': command.key }),
        ...asRole(command.role),
      },
      body: JSON.stringify(command.body),
    });
    const text = await response.text();
    return {
      status: response.status,
      replayed: response.headers.get('idempotent-replayed') === 'true',
      body: text === '' ? null : (JSON.parse(text) as unknown),
    };
  } catch {
    return null;
  }
}

/** Every event of the store, in global order. */
async function allEvents(env: Record<string, string>): Promise<RecordedEvent[]> {
  const store = await createEventStore(crashStoreConfig(env));
  try {
    const events: RecordedEvent[] = [];
    for (;;) {
      const page = await store.readAll({ after: events.at(-1)?.globalPosition ?? null });
      if (page.length === 0) return events;
      events.push(...page);
    }
  } finally {
    await store.close();
  }
}

const kinds: CrashStoreKind[] = [postgresCrashStore('write_crash'), pgliteCrashStore()];

describe.each(kinds)('SIGKILL among concurrent commands on $name', (kind) => {
  const { maybe, path, freshStore, start } = crashLeg(kind, 'write-path-crash');

  maybe(
    'every acknowledged command is kept whole, every retry is safe, the views equal a rebuild',
    async () => {
      const rng = new SeededRandom(seed);
      const store = freshStore('crashed');
      const env = {
        ...store,
        // A killed request's key is taken over by a retry after its lease: seconds, not 60.
        TANDEM_IDEMPOTENCY_LEASE_SECONDS: '3',
        // Six clients under one identity at full speed: far above the default write limit.
        TANDEM_RATE_LIMIT_WRITES_PER_MINUTE: '1000000',
      };
      const { log, kills, took, print } = crashLog();
      const problems: string[] = [];
      const sent: Sent[] = [];
      try {
        let api = await start(env);
        await settle(api, [], kind.committed(store));
        took('first start');

        for (let round = 0; round < ROUNDS; round++) {
          const clients = Array.from({ length: CLIENTS }, (_, client) =>
            clientCommands(rng, `${round}-${client}`),
          );
          const total = clients.reduce((sum, commands) => sum + commands.length, 0);
          let answered = 0;
          const lanes = clients.map((commands) => {
            const mine: Sent[] = [];
            const running = (async () => {
              for (const command of commands) {
                const entry: Sent = { command, first: null };
                mine.push(entry);
                entry.first = await send(api, command);
                if (entry.first === null) return; // the kill: this client stops here
                answered += 1;
              }
            })();
            return { mine, running };
          });
          // After a random share of the answers, then a moment more: six requests in flight.
          const answers = Math.floor(total * (0.15 + rng.next() * 0.6));
          await eventually(
            async () => (answered >= answers ? true : undefined),
            `${answers} commands are answered`,
            60_000,
          );
          await pause(rng.next() * 40);
          const before = answered;
          await api.kill('SIGKILL');
          await Promise.all(lanes.map((lane) => lane.running));
          const cut = lanes.reduce(
            (sum, lane) => sum + lane.mine.filter((entry) => entry.first === null).length,
            0,
          );
          kills.push([
            cut > 0 && before < total,
            `round ${round + 1}: ${before} of ${total} commands answered, ${cut} cut off`,
          ]);
          api = await start(env);
          took(`round ${round + 1}, commands and a restart`);

          // Every client sends again, in its own order, what it may retry.
          await Promise.all(
            lanes.map(async ({ mine }) => {
              for (const entry of mine) {
                sent.push(entry);
                const { command, first } = entry;
                if (!command.retried || (first !== null && !ok(first))) continue;
                // 409 idempotency_key_in_flight while the killed attempt's lease lasts.
                entry.retry = await eventually(
                  async () => {
                    const answer = await send(api, command);
                    if (answer === null) throw new Error('the API did not answer');
                    return answer.status === 409 &&
                      JSON.stringify(answer.body).includes('idempotency_key_in_flight')
                      ? undefined
                      : answer;
                  },
                  `the retry of ${named(command)} is answered`,
                  60_000,
                );
              }
            }),
          );
          took(`round ${round + 1}, retries`);
        }

        for (const { command, first, retry } of sent) {
          const what = named(command);
          if (retry === undefined) continue;
          if (retry.status >= 500) problems.push(`${what}: retry answered ${retry.status}`);
          if (ok(first) && command.key !== null) {
            // The same answer, replayed.
            if (!retry.replayed || retry.status !== first.status) {
              problems.push(`${what}: retry ${retry.status}, replayed ${retry.replayed}`);
            }
            if (!isDeepStrictEqual(retry.body, first.body)) {
              problems.push(
                `${what}: retry answered ${JSON.stringify(retry.body)}, first ${JSON.stringify(first.body)}`,
              );
            }
          } else if (ok(first)) {
            // A touch sent again without a key: recorded once, so nothing more.
            if (retry.status !== 200 || answeredEvents(retry)?.length !== 0) {
              problems.push(`${what}: retry ${retry.status} ${JSON.stringify(retry.body)}`);
            }
          }
        }

        await settle(api, [], kind.committed(store));
        const crashed = await readViews(baseUrl(api));
        await api.kill('SIGTERM');
        took('settled and read');

        // The store, read with no API on it (PGlite is one process's).
        const events = await allEvents(store);
        const byCommand = new Map<string, RecordedEvent[]>();
        for (const event of events) {
          const correlationId = event.metadata.correlationId;
          if (typeof correlationId !== 'string') continue;
          byCommand.set(correlationId, [...(byCommand.get(correlationId) ?? []), event]);
        }
        let acknowledged = 0;
        /** What became of the commands a kill cut off, for the log: the paths the run took. */
        const fates = new Map<string, number>();
        for (const { command, first, retry } of sent) {
          const what = named(command);
          const all = byCommand.get(command.correlationId) ?? [];
          // A merge writes its survivor's record with it, in one atomic append (ADR 0016): the
          // answer names the merged lead's events; the records come one per merge, never alone.
          const stored = all.filter((event) => event.type !== 'DuplicateMergedIn');
          const records = all.length - stored.length;
          const merges = stored.filter((event) => event.type === 'LeadMerged').length;
          if (records !== merges) {
            problems.push(`${what}: ${merges} merges stored with ${records} survivor records`);
          }
          const shown = stored.map((event) => ({
            stream: event.streamId,
            revision: Number(event.streamRevision),
            eventId: event.eventId,
            type: event.type,
          }));
          // What the store must hold for the command: exactly an answer's events, if any said so.
          const answer = [first, retry].find(
            (candidate): candidate is Answer => (answeredEvents(candidate)?.length ?? 0) > 0,
          );
          if (ok(first)) acknowledged += 1;
          if (first === null) {
            const committed =
              stored.length > 0 &&
              (retry === undefined || retry.replayed || answeredEvents(retry)?.length === 0);
            const retried =
              retry === undefined
                ? 'not retried'
                : retry.replayed
                  ? 'its retry replayed'
                  : `its retry ${retry.status}`;
            const fate = `${committed ? 'committed before the kill' : 'not committed'}, ${retried}`;
            fates.set(fate, (fates.get(fate) ?? 0) + 1);
          }
          if (answer !== undefined) {
            const { leadId, revision, events: answered } = answer.body as CommandAnswer;
            const expected = answered.map((event, index) => ({
              stream: leadStreamId(leadId),
              revision: revision - answered.length + 1 + index,
              eventId: event.eventId,
              type: event.type,
            }));
            if (!isDeepStrictEqual(shown, expected)) {
              problems.push(
                `${what}: answered ${JSON.stringify(expected)}, the store holds ${JSON.stringify(shown)}`,
              );
            }
          } else if (ok(first) && shown.length > 0) {
            problems.push(
              `${what}: answered with no events, the store holds ${JSON.stringify(shown)}`,
            );
          } else if (command.key !== null && retry !== undefined && shown.length > 0) {
            problems.push(
              `${what}: retry refused ${retry.status}, yet it wrote ${JSON.stringify(shown)}`,
            );
          } else if (shown.length > 1) {
            problems.push(`${what}: written more than once: ${JSON.stringify(shown)}`);
          }
        }
        const touches = new Map<string, number>();
        for (const event of events) {
          if (event.type !== 'TouchpointRecorded') continue;
          const key = `${event.streamId} ${String(event.data.touchpointId)}`;
          touches.set(key, (touches.get(key) ?? 0) + 1);
        }
        for (const [touch, count] of touches) {
          if (count > 1) problems.push(`touchpoint ${touch} recorded ${count} times`);
        }
        const captured = events
          .filter((event) => event.type === 'LeadCaptured')
          .map((event) => event.streamId)
          .sort();
        const sql = await kind.sql(store);
        try {
          const keys = await sql.query<{ lead_id: string }>(
            `SELECT lead_id FROM "${sql.schema}".personal_data_keys`,
          );
          const keyed = keys.map((row) => leadStreamId(row.lead_id)).sort();
          if (!isDeepStrictEqual(keyed, captured)) {
            problems.push(
              `captures and personal-data keys differ: ${captured.length} captures, ${keyed.length} keys`,
            );
          }
        } finally {
          await sql.close();
        }
        log.push(
          `${sent.length} commands sent, ${acknowledged} acknowledged before a kill, ${sent.filter((entry) => entry.retry !== undefined).length} retried, ${events.length} events`,
          ...[...fates].map(([fate, count]) => `cut off: ${count} ${fate}`),
        );
        took('store checks');

        const clean = await start(await kind.cleanCopy(env, path('clean')));
        await settle(clean, [], kind.committed(store));
        const expected = await readViews(baseUrl(clean));
        await clean.kill('SIGTERM');
        took('a clean projection');

        expect(problems).toEqual([]);
        expectSameViews(expected, crashed, log, `TANDEM_CRASH_SEED=${seed}`);
        // The kills must have cut commands off mid-flight, not found the clients done.
        expect(kills.filter(([busy]) => busy).length).toBe(ROUNDS);
      } finally {
        print(`${kind.name}:`, ...problems.slice(0, 20));
      }
    },
  );
});
