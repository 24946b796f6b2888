/**
 * All SQL the PostgreSQL/PGlite event store runs, in one reviewable place. The same
 * text runs on both engines. Values always travel as parameters; the only text
 * spliced in is the schema's quoted identifier, the lock keys and the channel, all
 * derived and validated in postgres-store-names.ts.
 * Global order (ADR 0002): writers draw positions in a short critical section and stamp
 * each row with a transaction-id horizon; readers return only rows whose horizon is below
 * their snapshot's xmin, so a position is never read before every smaller one is final.
 * `personal_data_keys` is the key vault's table (personal-data/lead-key.vault.ts creates it):
 * the statements here write it only with a new key handed to the store by the vault's
 * sealing decorator, in the transaction of the events sealed under that key (ADR 0009).
 * It must never build SQL from caller-supplied values other than those names.
 */
import type { PostgresStoreNames } from './postgres-store-names';

/** SQLSTATEs raised by `append_events` ("TD": Tandem; class T is free for applications). */
export const APPEND_ERROR_CODES = {
  wrongExpectedRevision: 'TD001',
  duplicateEventId: 'TD002',
  invalidAppend: 'TD003',
  /** A condition on another stream (AppendOptions.conditions) did not hold. */
  conditionFailed: 'TD004',
} as const;

export interface PostgresEventStoreSql {
  readonly lockInit: string;
  readonly schema: string;
  readonly append: string;
  readonly appendIf: string;
  readonly appendMulti: string;
  readonly appendGroup: string;
  readonly insertLeadKey: string;
  readonly readStream: string;
  readonly readAll: string;
  readonly readMergesInto: string;
  /**
   * The merge index on a server only (PGlite's schema holds it), built without holding
   * appends; each statement runs alone, outside a transaction, as CONCURRENTLY requires (see
   * MERGES_INDEX_IN_SCHEMA). State: one row when the index exists, `valid`
   * (pg_index.indisvalid) and `building` (a session builds it now,
   * pg_stat_progress_create_index); none when it does not. $1: its name.
   */
  readonly mergesIndexState: string;
  /** Drops an INVALID index left by a build that was killed or failed, without a table lock. */
  readonly dropInvalidMergesIndex: string;
  readonly createMergesIndex: string;
  readonly headPosition: string;
  readonly loadCheckpoint: string;
  readonly createCheckpoint: string;
  readonly advanceCheckpoint: string;
}

/** API keys (ApiKeyStore, ADR 0011): one row per key ever created. */
export interface PostgresApiKeySql {
  readonly insert: string;
  readonly refusal: string;
  readonly select: string;
  readonly list: string;
  readonly revoke: string;
  readonly markUsed: string;
}

/** The idempotency keys (IdempotencyStore, ADR 0007): one row per live key. */
export interface PostgresIdempotencySql {
  readonly deleteIfExpired: string;
  readonly insert: string;
  readonly select: string;
  readonly takeOver: string;
  readonly lockOwned: string;
  readonly recordAppend: string;
  readonly complete: string;
  readonly forget: string;
  readonly endLease: string;
  readonly purgeExpired: string;
}

/**
 * `singleSession`: the database has one session only (PGlite, one process's engine), so no
 * other writer can draw positions and commit after a reader looked: the draw takes no lock,
 * opens no subtransaction and stamps horizon 0 (always below a reader's xmin). A shared
 * PostgreSQL server never gets this variant.
 */
export function postgresEventStoreSql(
  names: PostgresStoreNames,
  options: { readonly singleSession?: boolean } = {},
): PostgresEventStoreSql {
  const s = names.quotedSchema;
  // Positions for p_count events, consecutive, and the horizon to stamp them with; see the
  // comment above the function in the schema below.
  const DRAW_SHARED = `CREATE OR REPLACE FUNCTION ${s}.draw_positions(p_count bigint,
  OUT first_position bigint, OUT horizon_xid bigint, OUT recorded_at timestamptz)
LANGUAGE plpgsql
AS $draw$
DECLARE
  -- Assigned here if not yet: a transaction that wrote before appending already has one.
  v_xid bigint := pg_current_xact_id()::text::bigint;
BEGIN
  BEGIN
    PERFORM pg_advisory_lock((${names.appendLockKey.toString()})::bigint);
    first_position := nextval('${s}.events_global_position_seq');
    IF p_count > 1 THEN
      PERFORM setval('${s}.events_global_position_seq', first_position + p_count - 1);
    END IF;
    SELECT greatest(h.last_value, v_xid) INTO horizon_xid FROM ${s}.append_horizon h;
    PERFORM setval('${s}.append_horizon', horizon_xid);
    -- Taken inside, so recorded_at follows the global order (as far as the clock does).
    recorded_at := clock_timestamp();
    PERFORM pg_advisory_unlock((${names.appendLockKey.toString()})::bigint);
  EXCEPTION WHEN query_canceled OR others THEN
    -- A session lock outlives the transaction: never leave it on a pooled connection.
    PERFORM pg_advisory_unlock((${names.appendLockKey.toString()})::bigint);
    RAISE;
  END;
END;
$draw$;`;
  const DRAW_SINGLE_SESSION = `CREATE OR REPLACE FUNCTION ${s}.draw_positions(p_count bigint,
  OUT first_position bigint, OUT horizon_xid bigint, OUT recorded_at timestamptz)
LANGUAGE plpgsql
AS $draw$
BEGIN
  -- One session: nothing can commit a smaller position later, so no lock and horizon 0.
  first_position := nextval('${s}.events_global_position_seq');
  IF p_count > 1 THEN
    PERFORM setval('${s}.events_global_position_seq', first_position + p_count - 1);
  END IF;
  horizon_xid := 0;
  recorded_at := clock_timestamp();
END;
$draw$;`;
  // The refusal of an event id already recorded (v_duplicate), in every function that checks.
  const RAISE_DUPLICATE = `  IF v_duplicate IS NOT NULL THEN
    RAISE EXCEPTION USING
      ERRCODE = '${APPEND_ERROR_CODES.duplicateEventId}',
      MESSAGE = format('event %s is already recorded', v_duplicate),
      DETAIL = v_duplicate;
  END IF;`;
  // The leads merged into a lead (readMergesInto): an erasure follows them, and a merge stored
  // before ADR 0016 is recorded on its duplicate's stream only. The one query inside a payload,
  // so the one index on one: partial, it holds a row per merge and costs other appends nothing.
  // Built once, by the first init after an upgrade (a scan of the table). PGlite builds it in
  // the schema's transaction (one session: there is no append to hold); a server builds it
  // CONCURRENTLY after that transaction (mergesIndex), so appends go on meanwhile.
  const MERGES_INDEX_DEFINITION = `${s}.events ((data ->> 'intoLeadId'))
      WHERE event_type = 'LeadMerged'`;
  const MERGES_INDEX_IN_SCHEMA = `
-- Checked first so that an up-to-date store's init takes no lock on the table.
DO $merges_index$
BEGIN
  IF to_regclass('${s}.events_merged_into') IS NULL THEN
    CREATE INDEX events_merged_into ON ${MERGES_INDEX_DEFINITION};
  END IF;
END
$merges_index$;
`;
  // Bigints leave as text so neither driver rounds them. The aliases shadow the column
  // names in ORDER BY, so queries order by the qualified column (e.x), never the alias.
  const eventColumns = `
      e.global_position::text AS global_position,
      e.stream_id,
      e.stream_revision::text AS stream_revision,
      e.event_id::text AS event_id,
      e.event_type,
      e.schema_version,
      e.data,
      e.metadata,
      e.recorded_at`;

  // Every transaction below this id has ended: rows stamped below it are final and readable.
  const readableBelow = `(SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint)`;

  return {
    lockInit: `SELECT pg_advisory_xact_lock($1::bigint)`,

    schema: `
CREATE SCHEMA IF NOT EXISTS ${s};

CREATE TABLE IF NOT EXISTS ${s}.events (
  -- Drawn by draw_positions, in the order of horizon_xid: see there.
  global_position bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The writing transaction's id, raised to the highest id of any writer that drew positions
  -- before it (draw_positions). A reader returns the row only once every transaction below
  -- its snapshot's xmin has ended, i.e. when horizon_xid < xmin. Rows older than the column: 0.
  horizon_xid     bigint      NOT NULL,
  stream_id       text        NOT NULL,
  stream_revision bigint      NOT NULL,
  event_id        uuid        NOT NULL,
  event_type      text        NOT NULL,
  schema_version  integer     NOT NULL,
  -- json, not jsonb: the text is kept as written and read back as a copy, so a catch-up that
  -- reads the log as text (ClickHouse staging from PostgreSQL, PGlite's CSV export) costs no
  -- rendering (jsonb's output was ~40 % of the server's work in those reads). Appends still
  -- pass their events as jsonb (append_events below), so their text is jsonb's normal form; a
  -- bulk COPY keeps JSON.stringify's. Nothing here queries inside the payloads. Stores created
  -- with jsonb columns keep them (converting is a rewrite of the table: docs/adr/0002); every
  -- statement reads and writes either type.
  data            json        NOT NULL,
  metadata        json        NOT NULL,
  recorded_at     timestamptz NOT NULL,
  CONSTRAINT events_event_id_unique UNIQUE (event_id),
  CONSTRAINT events_stream_revision_unique UNIQUE (stream_id, stream_revision)
);

-- Stores created before horizon_xid: their rows were all written under the old global lock
-- and are committed, so 0 (below every xmin) is their true horizon. Adding a column with a
-- constant default rewrites nothing; the default is dropped so no insert can forget the column.
-- Checked first so that an up-to-date store's init takes no lock on the table.
DO $migrate$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute
                  WHERE attrelid = '${s}.events'::regclass AND attname = 'horizon_xid'
                    AND NOT attisdropped) THEN
    ALTER TABLE ${s}.events ADD COLUMN horizon_xid bigint NOT NULL DEFAULT 0;
    ALTER TABLE ${s}.events ALTER COLUMN horizon_xid DROP DEFAULT;
  END IF;
END
$migrate$;

${options.singleSession === true ? MERGES_INDEX_IN_SCHEMA : ''}
-- The running maximum of the writers' transaction ids, in the order they drew positions.
-- A sequence because its value is not transactional: a writer sees the last one's at once.
CREATE SEQUENCE IF NOT EXISTS ${s}.append_horizon AS bigint MINVALUE 0 START 0;

CREATE TABLE IF NOT EXISTS ${s}.checkpoints (
  name       text        PRIMARY KEY,
  position   bigint      NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Idempotency keys (ADR 0007). scope_key and fingerprint are the caller's hashes. The
-- appended_* columns are written in the transaction of the key's append, so a row says
-- whether its request appended even when the process died before answering.
CREATE TABLE IF NOT EXISTS ${s}.idempotency_keys (
  scope_key              text        PRIMARY KEY,
  fingerprint            text        NOT NULL,
  owner                  uuid        NOT NULL,
  lease_until            timestamptz NOT NULL,
  created_at             timestamptz NOT NULL,
  expires_at             timestamptz NOT NULL,
  appended_stream        text,
  appended_from_revision bigint,
  appended_to_revision   bigint,
  response_status        integer,
  response_headers       jsonb,
  response_body          json,
  completed_at           timestamptz
);
CREATE INDEX IF NOT EXISTS idempotency_keys_expires_at ON ${s}.idempotency_keys (expires_at);

-- The stored answer is json, its text as the first answer sent it, so a retry gets the same
-- bytes (jsonb reorders keys). Stores created before keep their rows' order until they expire;
-- checked first so that an up-to-date store's init takes no lock on the table.
DO $migrate_idempotency$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_attribute
              WHERE attrelid = '${s}.idempotency_keys'::regclass AND attname = 'response_body'
                AND atttypid = 'jsonb'::regtype AND NOT attisdropped) THEN
    ALTER TABLE ${s}.idempotency_keys ALTER COLUMN response_body TYPE json USING response_body::json;
  END IF;
END
$migrate_idempotency$;

-- API keys for integrations (ADR 0011). secret_hash is SHA-256 of the secret: the secret is
-- shown once at creation and never stored. Revoked rows stay as the key's audit trail.
CREATE TABLE IF NOT EXISTS ${s}.api_keys (
  key_id       text        PRIMARY KEY,
  secret_hash  text        NOT NULL,
  name         text        NOT NULL,
  roles        text[]      NOT NULL,
  actor        text        NOT NULL,
  created_at   timestamptz NOT NULL,
  created_by   text        NOT NULL,
  revoked_at   timestamptz,
  revoked_by   text,
  last_used_at timestamptz
);

-- A name is held by one active key at a time (ADR 0007, addendum "An API key's create
-- retried"): active_name is the name while the key is active, NULL once revoked, and unique.
-- A store from before gets the column once; of keys that already shared an active name, the
-- newest holds it, the others (still valid until revoked) hold none.
DO $migrate_api_key_names$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute
                  WHERE attrelid = '${s}.api_keys'::regclass AND attname = 'active_name'
                    AND NOT attisdropped) THEN
    ALTER TABLE ${s}.api_keys ADD COLUMN active_name text;
    UPDATE ${s}.api_keys k
       SET active_name = k.name
     WHERE k.revoked_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM ${s}.api_keys n
                        WHERE n.name = k.name AND n.revoked_at IS NULL
                          AND (n.created_at, n.key_id) > (k.created_at, k.key_id));
  END IF;
END
$migrate_api_key_names$;
CREATE UNIQUE INDEX IF NOT EXISTS api_keys_active_name_unique ON ${s}.api_keys (active_name);

-- Positions for p_count events, consecutive, and the horizon to stamp them with. Writers
-- pass through here one at a time (a session-level advisory lock, held for microseconds and
-- released before the commit, so commits overlap and share WAL flushes). Inside it the running
-- maximum of writers' transaction ids is raised to ours and read back: a row's horizon is at
-- least the id of every writer that drew smaller positions. Any writer below a reader's xmin
-- has ended, so "horizon_xid < xmin" admits a row only when every smaller position is final,
-- and the rows it admits are always a prefix of the log (ADR 0002).
${options.singleSession === true ? DRAW_SINGLE_SESSION : DRAW_SHARED}

-- One round trip per append. p_expected: 'any' | 'no_stream' | 'stream_exists' | a revision.
-- p_events: [{ eventId, type, schemaVersion, data, metadata }, ...] in stream order.
-- The two reads of the events table run through EXECUTE: planned afresh for the values of each
-- call. A cached generic plan, chosen while the table was small, scanned it whole on every call
-- once it was large. (Not plan_cache_mode = force_custom_plan on the function: that also takes
-- every plain expression off plpgsql's fast path, which doubled an append's cost on PGlite.)
CREATE OR REPLACE FUNCTION ${s}.append_events(p_stream_id text, p_expected text, p_events jsonb)
RETURNS TABLE (next_expected_revision bigint, last_global_position bigint)
LANGUAGE plpgsql
AS $append$
DECLARE
  v_count       bigint := jsonb_array_length(p_events);
  v_actual      bigint;
  v_expected_ok boolean;
  v_duplicate   text;
  v_draw        record;
BEGIN
  IF v_count = 0 THEN
    RAISE EXCEPTION USING ERRCODE = '${APPEND_ERROR_CODES.invalidAppend}', MESSAGE = 'empty batch';
  END IF;

  -- Writers of one stream queue here until the first commits, so the revision read below is
  -- the latest and a conflict always names the actual revision. Other streams do not wait.
  -- (hashtext is stable within a server, which is all a lock key needs; a collision only
  -- makes two streams queue.)
  PERFORM pg_advisory_xact_lock(${names.streamLockClass.toString()}, hashtext(p_stream_id));

  -- A fresh statement snapshot (READ COMMITTED), taken after the lock: sees every earlier append.
  EXECUTE 'SELECT max(e.stream_revision) FROM ${s}.events e WHERE e.stream_id = $1'
     INTO v_actual USING p_stream_id;

  v_expected_ok := CASE p_expected
                     WHEN 'any' THEN true
                     WHEN 'no_stream' THEN v_actual IS NULL
                     WHEN 'stream_exists' THEN v_actual IS NOT NULL
                     ELSE v_actual IS NOT DISTINCT FROM p_expected::bigint
                   END;
  IF NOT v_expected_ok THEN
    RAISE EXCEPTION USING
      ERRCODE = '${APPEND_ERROR_CODES.wrongExpectedRevision}',
      MESSAGE = format('stream %s: expected revision %s', p_stream_id, p_expected),
      DETAIL = coalesce(v_actual::text, '');
  END IF;

  -- Checked up front so the error names the id; the unique constraint stays as the backstop
  -- (two appends of one id to different streams at once: the second fails there).
  EXECUTE 'SELECT e.event_id::text FROM ${s}.events e WHERE e.event_id = ANY ($1) LIMIT 1'
     INTO v_duplicate
    USING ARRAY(SELECT (x ->> 'eventId')::uuid FROM jsonb_array_elements(p_events) AS x);
${RAISE_DUPLICATE}

  v_draw := ${s}.draw_positions(v_count);

  INSERT INTO ${s}.events
    (global_position, horizon_xid, stream_id, stream_revision, event_id, event_type,
     schema_version, data, metadata, recorded_at)
  OVERRIDING SYSTEM VALUE
  SELECT v_draw.first_position + x.ordinality - 1,
         v_draw.horizon_xid,
         p_stream_id,
         coalesce(v_actual, -1) + x.ordinality,
         (x.value ->> 'eventId')::uuid,
         x.value ->> 'type',
         (x.value ->> 'schemaVersion')::integer,
         x.value -> 'data',
         x.value -> 'metadata',
         v_draw.recorded_at
    FROM jsonb_array_elements(p_events) WITH ORDINALITY AS x(value, ordinality);

  -- Delivered at commit, never for a rolled-back append.
  PERFORM pg_notify('${names.channel}', (v_draw.first_position + v_count - 1)::text);

  RETURN QUERY SELECT coalesce(v_actual, -1) + v_count, v_draw.first_position + v_count - 1;
END;
$append$;

-- Each stream of p_checks ([{ streamId, expected }, ...]) at its expected revision, in the order
-- given, read on a fresh snapshot: for a caller holding the streams' locks (append_events_if,
-- append_events_multi). The first that is not raises the condition code, naming that stream.
CREATE OR REPLACE FUNCTION ${s}.require_streams_at(p_checks jsonb)
RETURNS void
LANGUAGE plpgsql
AS $require$
DECLARE
  v_check  record;
  v_actual bigint;
  v_ok     boolean;
BEGIN
  FOR v_check IN
    SELECT c ->> 'streamId' AS stream_id, c ->> 'expected' AS expected
      FROM jsonb_array_elements(p_checks) WITH ORDINALITY AS t(c, i)
     ORDER BY t.i
  LOOP
    EXECUTE 'SELECT max(e.stream_revision) FROM ${s}.events e WHERE e.stream_id = $1'
       INTO v_actual USING v_check.stream_id;
    v_ok := CASE v_check.expected
              WHEN 'any' THEN true
              WHEN 'no_stream' THEN v_actual IS NULL
              WHEN 'stream_exists' THEN v_actual IS NOT NULL
              ELSE v_actual IS NOT DISTINCT FROM v_check.expected::bigint
            END;
    IF NOT v_ok THEN
      RAISE EXCEPTION USING
        ERRCODE = '${APPEND_ERROR_CODES.conditionFailed}',
        MESSAGE = format('stream %s: expected revision %s', v_check.stream_id, v_check.expected),
        DETAIL = json_build_object('streamId', v_check.stream_id, 'expected', v_check.expected,
                                   'actual', v_actual::text)::text;
    END IF;
  END LOOP;
END;
$require$;

-- An append that also depends on other streams (ADR 0015): p_conditions is
-- [{ streamId, expected }, ...], none of them the appended stream. The locks of every stream
-- involved, the appended one's too, are taken in ascending key order (as a group takes its
-- own), so two conditional appends that each name the other's stream (crossing merges) queue
-- rather than deadlock, and whichever runs second sees the first one's event. Then each
-- condition is checked on a fresh snapshot and append_events runs under the locks already
-- held (advisory locks stack). Nothing is written to a condition's stream. Plain appends never
-- come here: their path is unchanged.
CREATE OR REPLACE FUNCTION ${s}.append_events_if(p_stream_id text, p_expected text, p_events jsonb,
  p_conditions jsonb)
RETURNS TABLE (next_expected_revision bigint, last_global_position bigint)
LANGUAGE plpgsql
AS $append_if$
DECLARE
  v_key       integer;
BEGIN
  FOR v_key IN
    SELECT DISTINCT hashtext(x)
      FROM (SELECT p_stream_id
            UNION ALL
            SELECT c ->> 'streamId' FROM jsonb_array_elements(p_conditions) AS c) AS t(x)
     ORDER BY 1
  LOOP
    PERFORM pg_advisory_xact_lock(${names.streamLockClass.toString()}, v_key);
  END LOOP;

  PERFORM ${s}.require_streams_at(p_conditions);

  RETURN QUERY SELECT * FROM ${s}.append_events(p_stream_id, p_expected, p_events);
END;
$append_if$;

-- An atomic append to several streams (ADR 0016): p_appends is
-- [{ streamId, expected, events: [...] }, ...], streams distinct, in the order their events take
-- in the global log. All or nothing: the locks of every stream in ascending key order (as a
-- group and append_events_if take theirs, so none of them deadlock with each other), every
-- expected revision checked on a fresh snapshot under the locks, every event id checked, and
-- only then append_events_group writes them all with one draw of positions, one insert, one
-- notification. A refused stream raises the condition code naming that stream (the first in
-- the order given), so the caller's error says which stream moved; nothing is written.
CREATE OR REPLACE FUNCTION ${s}.append_events_multi(p_appends jsonb)
RETURNS TABLE (next_expected_revision bigint, last_global_position bigint)
LANGUAGE plpgsql
AS $append_multi$
DECLARE
  v_key       integer;
  v_duplicate text;
  v_row       record;
BEGIN
  IF jsonb_array_length(p_appends) = 0 THEN
    RAISE EXCEPTION USING ERRCODE = '${APPEND_ERROR_CODES.invalidAppend}', MESSAGE = 'no stream';
  END IF;
  FOR v_key IN
    SELECT DISTINCT hashtext(a ->> 'streamId') FROM jsonb_array_elements(p_appends) AS a ORDER BY 1
  LOOP
    PERFORM pg_advisory_xact_lock(${names.streamLockClass.toString()}, v_key);
  END LOOP;

  PERFORM ${s}.require_streams_at(p_appends);

  EXECUTE 'SELECT e.event_id::text FROM ${s}.events e WHERE e.event_id = ANY ($1) LIMIT 1'
     INTO v_duplicate
    USING ARRAY(SELECT (x ->> 'eventId')::uuid
                  FROM jsonb_array_elements(p_appends) AS a(value),
                       jsonb_array_elements(a.value -> 'events') AS x);
${RAISE_DUPLICATE}

  -- Checked above under the locks it takes again (they stack): every outcome is 'ok'. Should one
  -- not be, the statement fails whole, so nothing it wrote stays. One row per stream, in order.
  FOR v_row IN
    SELECT g.outcome, g.revision, g.position, g.detail
      FROM ${s}.append_events_group(p_appends, '[]'::jsonb) WITH ORDINALITY
           AS g(outcome, revision, position, detail, i)
     ORDER BY g.i
  LOOP
    IF v_row.outcome <> 'ok' THEN
      RAISE EXCEPTION USING ERRCODE = '${APPEND_ERROR_CODES.invalidAppend}',
        MESSAGE = format('append to streams refused: %s %s', v_row.outcome, v_row.detail);
    END IF;
    next_expected_revision := v_row.revision;
    last_global_position := v_row.position;
    RETURN NEXT;
  END LOOP;
END;
$append_multi$;

-- Group commit (ADR 0013): several appends, each to a different stream with its own expected
-- revision, in one statement and one transaction. Each append gets its own outcome: one whose
-- expected revision is wrong, or whose event id is already recorded, is refused alone and the
-- others land. p_appends: [{ streamId, expected, events: [...] }, ...], streams distinct.
-- p_keys: new per-lead data keys (ADR 0009) that appends of the group bring, recorded in
-- personal_data_keys in this same transaction, so a key and the first events sealed under it
-- commit together or not at all: [{ i, leadId, wrappedKey, wrappedBy }, ...], i the 1-based
-- append whose events are sealed under the key. A lead that already has a row (a key another
-- writer made, or an erased lead's tombstone) keeps it, and the append that brought the new
-- key is refused ('lead_key_exists'): its events are sealed under a key that will not exist.
-- Returns one row per append, in order: outcome 'ok' | 'wrong_expected_revision' |
-- 'duplicate_event_id' | 'lead_key_exists', and for 'ok' the revision and position
-- append_events would return; detail: the actual revision ('' for no stream), the duplicate
-- id or the lead id.
-- The same checks as append_events, set-wise: stream locks (in one global order, so two groups
-- never deadlock), one read of every stream's revision, one duplicate check over every event
-- id, the keys of the accepted appends (inserted in lead order, so two groups that wait on each
-- other's keys wait in one order), one draw of positions for all accepted events, one insert,
-- one notification.
CREATE OR REPLACE FUNCTION ${s}.append_events_group(p_appends jsonb, p_keys jsonb)
RETURNS TABLE (outcome text, next_expected_revision bigint, last_global_position bigint, detail text)
LANGUAGE plpgsql
AS $group$
DECLARE
  v_n          integer := jsonb_array_length(p_appends);
  v_streams    text[];
  v_actual     bigint[];
  v_duplicates uuid[];
  v_duplicate  text;
  v_outcome    text[] := array_fill(NULL::text, ARRAY[v_n]);
  v_detail     text[] := array_fill(NULL::text, ARRAY[v_n]);
  v_next       bigint[] := array_fill(NULL::bigint, ARRAY[v_n]);
  v_last       bigint[] := array_fill(NULL::bigint, ARRAY[v_n]);
  v_accepted   integer[] := '{}';
  v_refused    record;
  v_append     jsonb;
  v_count      bigint;
  v_total      bigint := 0;
  v_offset     bigint := 0;
  v_expected   text;
  v_ok         boolean;
  v_key        integer;
  v_draw       record;
  i            integer;
BEGIN
  IF v_n = 0 THEN
    RAISE EXCEPTION USING ERRCODE = '${APPEND_ERROR_CODES.invalidAppend}', MESSAGE = 'empty group';
  END IF;
  v_streams := ARRAY(SELECT a.value ->> 'streamId'
                       FROM jsonb_array_elements(p_appends) WITH ORDINALITY AS a(value, i)
                      ORDER BY a.i);
  IF (SELECT count(DISTINCT x) FROM unnest(v_streams) AS x) <> v_n THEN
    RAISE EXCEPTION USING ERRCODE = '${APPEND_ERROR_CODES.invalidAppend}',
      MESSAGE = 'a group names a stream twice';
  END IF;

  -- As in append_events, one lock per stream; taken in ascending key order by every group.
  FOR v_key IN SELECT DISTINCT hashtext(x) FROM unnest(v_streams) AS x ORDER BY 1 LOOP
    PERFORM pg_advisory_xact_lock(${names.streamLockClass.toString()}, v_key);
  END LOOP;

  -- Fresh statement snapshots, taken after the locks (READ COMMITTED), planned per call.
  EXECUTE 'SELECT array_agg((SELECT max(e.stream_revision) FROM ${s}.events e
                               WHERE e.stream_id = t.stream_id) ORDER BY t.i)
             FROM unnest($1::text[]) WITH ORDINALITY AS t(stream_id, i)'
     INTO v_actual USING v_streams;
  EXECUTE 'SELECT array_agg(e.event_id) FROM ${s}.events e WHERE e.event_id = ANY ($1)'
     INTO v_duplicates
    USING ARRAY(SELECT (x ->> 'eventId')::uuid
                  FROM jsonb_array_elements(p_appends) AS a(value),
                       jsonb_array_elements(a.value -> 'events') AS x);

  FOR i IN 1 .. v_n LOOP
    v_append := p_appends -> (i - 1);
    v_expected := v_append ->> 'expected';
    v_ok := CASE v_expected
              WHEN 'any' THEN true
              WHEN 'no_stream' THEN v_actual[i] IS NULL
              WHEN 'stream_exists' THEN v_actual[i] IS NOT NULL
              ELSE v_actual[i] IS NOT DISTINCT FROM v_expected::bigint
            END;
    IF NOT v_ok THEN
      v_outcome[i] := 'wrong_expected_revision';
      v_detail[i] := coalesce(v_actual[i]::text, '');
      CONTINUE;
    END IF;
    IF v_duplicates IS NOT NULL THEN
      SELECT (x ->> 'eventId')::uuid::text INTO v_duplicate
        FROM jsonb_array_elements(v_append -> 'events') AS x
       WHERE (x ->> 'eventId')::uuid = ANY (v_duplicates)
       LIMIT 1;
      IF v_duplicate IS NOT NULL THEN
        v_outcome[i] := 'duplicate_event_id';
        v_detail[i] := v_duplicate;
        CONTINUE;
      END IF;
    END IF;
    v_count := jsonb_array_length(v_append -> 'events');
    IF v_count = 0 THEN
      RAISE EXCEPTION USING ERRCODE = '${APPEND_ERROR_CODES.invalidAppend}', MESSAGE = 'empty batch';
    END IF;
    v_outcome[i] := 'ok';
    v_accepted := v_accepted || i;
  END LOOP;

  -- The keys of accepted appends. A conflict waits for a writer inserting the same lead's row
  -- and then keeps that row. A key counts as recorded only if its own wrapped bytes went in.
  IF jsonb_array_length(coalesce(p_keys, '[]')) > 0 AND cardinality(v_accepted) > 0 THEN
    FOR v_refused IN
      WITH wanted AS (
        SELECT (k ->> 'i')::integer AS i, k ->> 'leadId' AS lead_id,
               k ->> 'wrappedKey' AS wrapped_key, k ->> 'wrappedBy' AS wrapped_by
          FROM jsonb_array_elements(p_keys) AS k
         WHERE (k ->> 'i')::integer = ANY (v_accepted)),
      inserted AS (
        INSERT INTO ${s}.personal_data_keys (lead_id, wrapped_key, wrapped_by)
        SELECT w.lead_id, w.wrapped_key, w.wrapped_by FROM wanted w ORDER BY w.lead_id
        ON CONFLICT (lead_id) DO NOTHING
        RETURNING lead_id, wrapped_key)
      SELECT w.i, w.lead_id FROM wanted w
       WHERE NOT EXISTS (SELECT 1 FROM inserted n
                          WHERE n.lead_id = w.lead_id AND n.wrapped_key = w.wrapped_key)
    LOOP
      v_outcome[v_refused.i] := 'lead_key_exists';
      v_detail[v_refused.i] := v_refused.lead_id;
      v_accepted := array_remove(v_accepted, v_refused.i);
    END LOOP;
  END IF;

  FOREACH i IN ARRAY v_accepted LOOP
    v_total := v_total + jsonb_array_length(p_appends -> (i - 1) -> 'events');
  END LOOP;

  IF v_total > 0 THEN
    v_draw := ${s}.draw_positions(v_total);
    -- Positions in group order, then stream order: as if the appends had run one by one.
    INSERT INTO ${s}.events
      (global_position, horizon_xid, stream_id, stream_revision, event_id, event_type,
       schema_version, data, metadata, recorded_at)
    OVERRIDING SYSTEM VALUE
    SELECT v_draw.first_position - 1 + row_number() OVER (ORDER BY a.i, x.ordinality),
           v_draw.horizon_xid,
           v_streams[a.i],
           coalesce(v_actual[a.i], -1) + x.ordinality,
           (x.value ->> 'eventId')::uuid,
           x.value ->> 'type',
           (x.value ->> 'schemaVersion')::integer,
           x.value -> 'data',
           x.value -> 'metadata',
           v_draw.recorded_at
      FROM unnest(v_accepted) AS a(i)
           CROSS JOIN LATERAL jsonb_array_elements(p_appends -> (a.i - 1) -> 'events')
             WITH ORDINALITY AS x(value, ordinality);
    FOREACH i IN ARRAY v_accepted LOOP
      v_count := jsonb_array_length(p_appends -> (i - 1) -> 'events');
      v_offset := v_offset + v_count;
      v_next[i] := coalesce(v_actual[i], -1) + v_count;
      v_last[i] := v_draw.first_position + v_offset - 1;
    END LOOP;
    PERFORM pg_notify('${names.channel}', (v_draw.first_position + v_total - 1)::text);
  END IF;

  RETURN QUERY
    SELECT o.outcome, o.next_revision, o.last_position, o.detail
      FROM unnest(v_outcome, v_next, v_last, v_detail) WITH ORDINALITY
           AS o(outcome, next_revision, last_position, detail, i)
     ORDER BY o.i;
END;
$group$;

-- The group function before it took keys (p_keys above): gone, so a key can never be handed to
-- a function that would ignore it.
DROP FUNCTION IF EXISTS ${s}.append_events_group(jsonb);

-- Bulk appends to new streams COPY their rows now (postgres-bulk-append.ts): the function that
-- took them as one jsonb document is gone from stores created before.
DROP FUNCTION IF EXISTS ${s}.append_new_streams(text[], jsonb);
`,

    append: `
SELECT next_expected_revision::text AS next_expected_revision,
       last_global_position::text AS last_global_position
  FROM ${s}.append_events($1::text, $2::text, $3::jsonb)`,

    appendIf: `
SELECT next_expected_revision::text AS next_expected_revision,
       last_global_position::text AS last_global_position
  FROM ${s}.append_events_if($1::text, $2::text, $3::jsonb, $4::jsonb)`,

    // One row per stream, in the order given.
    appendMulti: `
SELECT next_expected_revision::text AS next_expected_revision,
       last_global_position::text AS last_global_position
  FROM ${s}.append_events_multi($1::jsonb)`,

    // One row per append of the group, in the order given.
    appendGroup: `
SELECT outcome,
       next_expected_revision::text AS next_expected_revision,
       last_global_position::text AS last_global_position,
       detail
  FROM ${s}.append_events_group($1::jsonb, $2::jsonb)`,

    // A lead's new data key, in a fenced append's transaction (the group takes keys itself). No
    // row back: the lead had one already, and the transaction must not write the events.
    insertLeadKey: `
INSERT INTO ${s}.personal_data_keys (lead_id, wrapped_key, wrapped_by)
VALUES ($1::text, $2::text, $3::text)
ON CONFLICT (lead_id) DO NOTHING
RETURNING lead_id`,

    readStream: `
SELECT ${eventColumns}
  FROM ${s}.events e
 WHERE e.stream_id = $1::text AND e.stream_revision >= $2::bigint
 ORDER BY e.stream_revision
 LIMIT $3::bigint`,

    // The horizon is a sub-select so it is computed once (an init plan), not per row.
    readAll: `
SELECT ${eventColumns}
  FROM ${s}.events e
 WHERE e.global_position > $1::bigint
   AND e.horizon_xid < ${readableBelow}
 ORDER BY e.global_position
 LIMIT $2::bigint`,

    // Served by events_merged_into: the predicate and the expression are the index's own.
    readMergesInto: `
SELECT ${eventColumns}
  FROM ${s}.events e
 WHERE e.event_type = 'LeadMerged' AND (e.data ->> 'intoLeadId') = $1::text
 ORDER BY e.global_position`,

    mergesIndexState: `
SELECT i.indisvalid AS valid,
       EXISTS (SELECT 1 FROM pg_stat_progress_create_index p
                WHERE p.index_relid = i.indexrelid) AS building
  FROM pg_index i
 WHERE i.indexrelid = to_regclass($1::text)`,
    dropInvalidMergesIndex: `DROP INDEX CONCURRENTLY IF EXISTS ${s}.events_merged_into`,
    createMergesIndex: `CREATE INDEX CONCURRENTLY IF NOT EXISTS events_merged_into ON ${MERGES_INDEX_DEFINITION}`,

    // The newest position a reader can reach: everything at or below it is final.
    headPosition: `
SELECT e.global_position::text AS head
  FROM ${s}.events e
 WHERE e.horizon_xid < ${readableBelow}
 ORDER BY e.global_position DESC
 LIMIT 1`,

    loadCheckpoint: `
SELECT name, position::text AS position, updated_at
  FROM ${s}.checkpoints
 WHERE name = $1::text`,

    createCheckpoint: `
INSERT INTO ${s}.checkpoints (name, position, updated_at)
VALUES ($1::text, $2::bigint, clock_timestamp())
ON CONFLICT (name) DO NOTHING
RETURNING name`,

    advanceCheckpoint: `
UPDATE ${s}.checkpoints
   SET position = $2::bigint, updated_at = clock_timestamp()
 WHERE name = $1::text AND position = $3::bigint
RETURNING name`,
  };
}

/** The idempotency store's statements; its table is created by `schema` above. */
export function postgresIdempotencySql(names: PostgresStoreNames): PostgresIdempotencySql {
  const s = names.quotedSchema;
  const recordColumns = `
      k.scope_key, k.fingerprint, k.owner::text AS owner,
      k.lease_until <= clock_timestamp() AS lease_expired,
      k.appended_stream,
      k.appended_from_revision::text AS appended_from_revision,
      k.appended_to_revision::text AS appended_to_revision,
      k.response_status, k.response_headers, k.response_body,
      k.completed_at, k.created_at, k.expires_at`;
  return {
    // An expired key is a new key: make room before the insert claims it.
    deleteIfExpired: `
DELETE FROM ${s}.idempotency_keys k
 WHERE k.scope_key = $1::text AND k.expires_at <= clock_timestamp()`,

    insert: `
INSERT INTO ${s}.idempotency_keys
  (scope_key, fingerprint, owner, lease_until, created_at, expires_at)
VALUES ($1::text, $2::text, $3::uuid,
        clock_timestamp() + make_interval(secs => $4::double precision),
        clock_timestamp(),
        clock_timestamp() + make_interval(secs => $5::double precision))
ON CONFLICT (scope_key) DO NOTHING
RETURNING scope_key`,

    select: `
SELECT ${recordColumns}
  FROM ${s}.idempotency_keys k
 WHERE k.scope_key = $1::text AND k.expires_at > clock_timestamp()`,

    // Only an unfinished reservation whose lease ran out, and only from the owner seen: of
    // two attempts racing to take over, one wins. Waits for a fenced append in progress
    // (it holds the row lock) and then sees what it recorded.
    takeOver: `
UPDATE ${s}.idempotency_keys k
   SET owner = $3::uuid, lease_until = clock_timestamp() + make_interval(secs => $4::double precision)
 WHERE k.scope_key = $1::text AND k.owner = $2::uuid
   AND k.completed_at IS NULL AND k.lease_until <= clock_timestamp()
RETURNING k.appended_stream,
          k.appended_from_revision::text AS appended_from_revision,
          k.appended_to_revision::text AS appended_to_revision`,

    // First statement of a fenced append: holds the row until the append commits.
    lockOwned: `
SELECT k.appended_stream
  FROM ${s}.idempotency_keys k
 WHERE k.scope_key = $1::text AND k.owner = $2::uuid AND k.completed_at IS NULL
   FOR UPDATE`,

    recordAppend: `
UPDATE ${s}.idempotency_keys k
   SET appended_stream = $3::text,
       appended_from_revision = $4::bigint,
       appended_to_revision = $5::bigint
 WHERE k.scope_key = $1::text AND k.owner = $2::uuid`,

    complete: `
UPDATE ${s}.idempotency_keys k
   SET response_status = $3::integer, response_headers = $4::jsonb,
       response_body = $5::json, completed_at = clock_timestamp()
 WHERE k.scope_key = $1::text AND k.owner = $2::uuid AND k.completed_at IS NULL
RETURNING k.scope_key`,

    forget: `
DELETE FROM ${s}.idempotency_keys k
 WHERE k.scope_key = $1::text AND k.owner = $2::uuid
   AND k.appended_stream IS NULL AND k.completed_at IS NULL
RETURNING k.scope_key`,

    endLease: `
UPDATE ${s}.idempotency_keys k
   SET lease_until = clock_timestamp()
 WHERE k.scope_key = $1::text AND k.owner = $2::uuid AND k.completed_at IS NULL`,

    purgeExpired: `
DELETE FROM ${s}.idempotency_keys k
 WHERE k.scope_key IN (SELECT x.scope_key
                         FROM ${s}.idempotency_keys x
                        WHERE x.expires_at <= clock_timestamp()
                        LIMIT $1::integer)
RETURNING k.scope_key`,
  };
}

/** The API-key store's statements; its table is created by `schema` above. */
export function postgresApiKeySql(names: PostgresStoreNames): PostgresApiKeySql {
  const s = names.quotedSchema;
  const recordColumns = `
      k.key_id, k.name, k.roles, k.actor, k.created_at, k.created_by,
      k.revoked_at, k.revoked_by, k.last_used_at`;
  return {
    insert: `
INSERT INTO ${s}.api_keys AS k
       (key_id, secret_hash, name, active_name, roles, actor, created_at, created_by)
VALUES ($1::text, $2::text, $3::text, $3::text, $4::text[], $5::text, clock_timestamp(), $6::text)
ON CONFLICT DO NOTHING
RETURNING ${recordColumns}`,

    // Why an insert did nothing: the key id taken, else the active key holding the name.
    refusal: `
SELECT EXISTS (SELECT 1 FROM ${s}.api_keys i WHERE i.key_id = $1::text) AS id_taken,
       (SELECT h.key_id FROM ${s}.api_keys h WHERE h.active_name = $2::text) AS name_holder`,

    select: `
SELECT ${recordColumns}, k.secret_hash
  FROM ${s}.api_keys k
 WHERE k.key_id = $1::text`,

    list: `
SELECT ${recordColumns}
  FROM ${s}.api_keys k
 ORDER BY k.created_at DESC, k.key_id`,

    // COALESCE keeps the first revocation: revoking twice changes nothing.
    revoke: `
UPDATE ${s}.api_keys k
   SET revoked_at = COALESCE(k.revoked_at, clock_timestamp()),
       revoked_by = COALESCE(k.revoked_by, $2::text),
       active_name = NULL
 WHERE k.key_id = $1::text
RETURNING ${recordColumns}`,

    markUsed: `
UPDATE ${s}.api_keys k
   SET last_used_at = clock_timestamp()
 WHERE k.key_id = $1::text`,
  };
}
