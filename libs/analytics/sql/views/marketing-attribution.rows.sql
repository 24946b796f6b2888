-- The rows marketing-attribution.sql sums, one per counted touch and one per (lead, channel,
-- campaign) the lead's counted path touches: what the view's rules (see its header, and ADR
-- 0012) give each lead of the capture cohort, before any lead is summed with another. So the
-- credits kept per snapshot of the per-lead funnel (lead_attribution_credits, migration 0030;
-- libs/analytics/src/views/attribution-credits/) are these rows summed per lead, and the leads
-- changed since a snapshot are these rows of those leads alone.
--
-- Grain: a 'touched' row per (lead, channel, campaign) of the lead's counted path (leads 1, no
-- money); a credit row per counted touch of a lead with an amount to split (leads 0; its share
-- of the won amount and of the pipeline, in units of 0.0001, and their currencies, NULL where
-- the lead has no such amount).
--
-- Where the lead_cut marker is, nothing (every lead of the cohort), or
-- _attribution-lead-cut.sql (only the leads named): the cut sits inside the stitched touches
-- and the per-lead touch pairs too, so a few leads never read every lead's.
--
-- Every model at once: a build of the kept credits computes the credit rows of the seven models
-- in one statement (attributionRowsOfEveryModel, view-sql.ts) by putting SQL where the comments
-- [every_model_columns], [every_model_join] and [every_model_carried] are (only comments
-- here) and reading each one-model parameter from that join; a step after the join that names
-- its columns carries the model (every_model_carried, after captured_at). Each half is taken
-- alone where the [attribution_halves] comment is.
--
-- Parameters: those of marketing-attribution.sql (and {attribution_leads} with a lead cut).
WITH
    -- Touches before capture: the visitors each LeadCaptured names (visitorIds), and their
    -- AnonymousTouchpointRecorded rows, up to as_of like every event a view reads.
    --
    -- One touchpoint id is one touch of a lead, whichever route recorded it (ADR 0012, addendum
    -- "a touch sent by two routes"): a click recorded against a visitor and sent again to the
    -- lead's own route once the visitor was stitched, or sent to two visitors both stitched into
    -- the lead, counts once. The copy counted is the earliest in the global order; its facts
    -- (time, channel, campaign) are the ones credited. Neither route can see the other's stream,
    -- so this is decided here, from the events alone, and every build reads the same answer.
    stitched_by_id AS
    (
        SELECT
            captures.lead_id AS lead_id,
            touch.touchpoint_id AS touchpoint_id,
            min(touch.global_position) AS first_position,
            argMin(touch.occurred_at, touch.global_position) AS first_occurred_at,
            argMin(CAST(touch.channel, 'String'), touch.global_position) AS first_channel,
            argMin(touch.campaign, touch.global_position) AS first_campaign
        FROM
        (
            -- No FINAL: a redelivered capture names the same visitors, and the GROUP BY keeps
            -- each touch once, so the whole table is never merged per request.
            SELECT lead_id, arrayJoin(JSONExtract(data, 'visitorIds', 'Array(String)')) AS visitor_id
            FROM {db:Identifier}.lead_events
            WHERE type = 'LeadCaptured'
              AND occurred_at <= {as_of:DateTime64(3, 'UTC')}
              AND position(data, '"visitorIds"') > 0
              {{lead_cut}}
        ) AS captures
        INNER JOIN
        (
            SELECT visitor_id, touchpoint_id, occurred_at, global_position, channel, campaign
            FROM {db:Identifier}.visitor_touches FINAL
            WHERE occurred_at <= {as_of:DateTime64(3, 'UTC')}
        ) AS touch ON touch.visitor_id = captures.visitor_id
        GROUP BY captures.lead_id, touch.touchpoint_id
    ),
    -- The lead's own touches, for the ids one of its visitors also holds: the earlier copy of
    -- the two is the one counted. Only the leads whose LeadCaptured names visitors are read,
    -- found from their captures alone: naming stitched_by_id here made ClickHouse inline it a
    -- second time (a CTE is a subquery wherever it is named), join and group included.
    own_ids AS
    (
        SELECT
            lead_id,
            JSONExtractString(data, 'touchpointId') AS touchpoint_id,
            min(global_position) AS own_position,
            toUInt8(1) AS present
        FROM {db:Identifier}.lead_events
        WHERE type = 'TouchpointRecorded'
          AND occurred_at <= {as_of:DateTime64(3, 'UTC')}
          AND lead_id IN
          (
              SELECT lead_id
              FROM {db:Identifier}.lead_events
              WHERE type = 'LeadCaptured'
                AND occurred_at <= {as_of:DateTime64(3, 'UTC')}
                AND position(data, '"visitorIds"') > 0
                {{lead_cut}}
          )
          {{lead_cut}}
        GROUP BY lead_id, touchpoint_id
    ),
    stitched AS
    (
        SELECT
            s.lead_id AS lead_id,
            groupArrayIf(
                tuple(s.first_occurred_at, s.first_position, s.first_channel, s.first_campaign),
                NOT (own.present = 1 AND own.own_position < s.first_position)
            ) AS touches,
            -- The positions of the lead's own copies a visitor's earlier copy stands for.
            groupArrayIf(own.own_position, own.present = 1 AND own.own_position > s.first_position) AS own_repeated
        FROM stitched_by_id AS s
        LEFT JOIN own_ids AS own ON own.lead_id = s.lead_id AND own.touchpoint_id = s.touchpoint_id
        GROUP BY s.lead_id
    ),
    -- The leads of the capture window, with what both halves below need of them.
    cohort AS
    (
        SELECT
            facts.lead_id AS lead_id,
            -- The deal's close: touches after it earned nothing.
            if(
                facts.won_at IS NOT NULL,
                facts.won_at,
                if(facts.lost_at IS NOT NULL AND NOT facts.opportunity_open, facts.lost_at, NULL)
            ) AS closed_at,
            if(
                empty(stitched.own_repeated),
                facts.touch_path,
                arrayFilter(t -> NOT has(stitched.own_repeated, t.2), facts.touch_path)
            ) AS touch_path,
            -- The lead's own touch pairs (lead_event_summary) stand for its path unless a copy
            -- was left out of it: then the pairs are the path's own.
            NOT empty(stitched.own_repeated) AS own_path_cut,
            stitched.touches AS stitched_touches,
            facts.captured_at AS captured_at,
            facts.opportunity_at AS opportunity_at,
            facts.won_at AS won_at,
            if(facts.won_at IS NULL, toInt128(0), toInt128(facts.won_amount * 10000)) AS won_units,
            if(facts.opportunity_open, toInt128(facts.opportunity_amount * 10000), toInt128(0)) AS pipeline_units,
            facts.won_currency AS won_currency,
            facts.currency AS pipeline_currency
        FROM {{lead_funnel}} AS facts
        LEFT JOIN stitched ON stitched.lead_id = facts.lead_id
        WHERE facts.captured_at >= {captured_from:DateTime64(3, 'UTC')}
          AND facts.captured_at < {captured_to:DateTime64(3, 'UTC')}
          {{lead_cut}}
    ),
    -- The counted path of each lead with an amount to split (won, or an open opportunity): only
    -- those need their credit computed (the array work per touch is most of this view's cost).
    counted AS
    (
        SELECT
            lead_id,
            captured_at,
            arrayFilter(
                t -> closed_at IS NULL OR t.1 <= closed_at,
                arraySort(t -> (t.1, t.2), arrayConcat(touch_path, stitched_touches))
            ) AS path,
            -- The capture is the first of the lead's own touches at captured_at: every other
            -- event of its stream comes after it in the global order.
            arrayFirst(t -> t.1 = captured_at, touch_path).2 AS capture_position,
            opportunity_at,
            won_at,
            won_units,
            pipeline_units,
            won_currency,
            pipeline_currency
        FROM cohort
        WHERE won_units != 0 OR pipeline_units != 0
    ),
    -- The CTEs below are layered so that each alias is a column of the layer after it: ClickHouse
    -- substitutes an alias's whole expression wherever it is named in the same SELECT, so one
    -- SELECT naming raw_weights → weights → total_weight → won_floor → won_remainder made the
    -- analyzer copy the per-touch lambda a dozen times. Planning that statement cost ~0.3 s
    -- whatever the data (every read of a state without a snapshot pays it); the layers give the
    -- same expressions, each analysed once.
    positioned AS
    (
        SELECT
            *,
            /* [every_model_columns] */
            length(path) AS n,
            greatest(1, arrayFirstIndex(t -> t.2 = capture_position, path)) AS lc
        FROM counted
        /* [every_model_join] */
        WHERE length(path) > 0
    ),
    reached AS
    (
        SELECT
            *,
            if(opportunity_at IS NULL, 0, greatest(lc, arrayCount(t -> t.1 <= opportunity_at, path))) AS oc
        FROM positioned
    ),
    milestone_ends AS
    (
        SELECT
            *,
            if(won_at IS NULL, 0, greatest(lc, oc, arrayCount(t -> t.1 <= won_at, path))) AS cw,
            {model:String} IN ('w_shaped', 'full_path') AS has_oc,
            {model:String} = 'full_path' AS has_cw
        FROM reached
    ),
    milestones AS
    (
        SELECT
            *,
            multiIf(
                {model:String} = 'u_shaped', lc,
                {model:String} = 'w_shaped', greatest(lc, oc),
                {model:String} = 'full_path', greatest(lc, oc, cw),
                n
            ) AS window_end,
            arrayMap(i -> i = 1 OR i = lc OR (has_oc AND i = oc) OR (has_cw AND i = cw), range(1, n + 1)) AS is_milestone,
            -- The last counted touch's time, as a number: time decay ages every touch from it.
            -- (A scalar: a lambda that read path[n] would copy the whole path for each touch.)
            toUnixTimestamp64Milli(path[n].1) AS last_ms
        FROM milestone_ends
    ),
    with_others AS
    (
        SELECT
            *,
            arrayCount((key, i) -> NOT key AND i <= window_end, is_milestone, range(1, n + 1)) AS others
        FROM milestones
    ),
    weighted AS
    (
        SELECT
            lead_id,
            captured_at,
            /* [every_model_carried] */
            path,
            n,
            arrayMap(
                (key, i, t) -> toInt128(multiIf(
                    {model:String} = 'first_touch', i = 1,
                    {model:String} = 'last_touch', i = n,
                    {model:String} = 'linear', 1,
                    {model:String} = 'time_decay', round(exp2(
                        -(last_ms - toUnixTimestamp64Milli(t.1))
                        / toFloat64({half_life_ms:UInt64})
                    ) * 1e12),
                    i > window_end, 0,
                    NOT key, {weight_others:UInt32},
                    greatest(1, others) * (
                        if(i = 1, {weight_first:UInt32}, 0)
                        + if(i = lc, {weight_lead_creation:UInt32}, 0)
                        + if(has_oc AND i = oc, {weight_opportunity_creation:UInt32}, 0)
                        + if(has_cw AND i = cw, {weight_closed_won:UInt32}, 0)
                    )
                )),
                is_milestone,
                range(1, n + 1),
                path
            ) AS raw_weights,
            won_units,
            pipeline_units,
            won_currency,
            pipeline_currency
        FROM with_others
    ),
    normalised AS
    (
        SELECT
            lead_id,
            captured_at,
            /* [every_model_carried] */
            path,
            -- All-zero weights (e.g. every share on "others" and no other touch): linear.
            if(arraySum(raw_weights) = 0, arrayMap(i -> toInt128(1), range(1, n + 1)), raw_weights) AS weights,
            won_units,
            pipeline_units,
            won_currency,
            pipeline_currency
        FROM weighted
    ),
    floors AS
    (
        SELECT
            lead_id,
            captured_at,
            /* [every_model_carried] */
            path,
            arraySum(weights) AS total_weight,
            won_units,
            pipeline_units,
            arrayMap(w -> intDiv(won_units * w, total_weight), weights) AS won_floor,
            arrayMap(w -> intDiv(pipeline_units * w, total_weight), weights) AS pipeline_floor,
            won_currency,
            pipeline_currency
        FROM normalised
    ),
    credited AS
    (
        SELECT
            *,
            won_units - arraySum(won_floor) AS won_remainder,
            pipeline_units - arraySum(pipeline_floor) AS pipeline_remainder
        FROM floors
    ),
    -- A touch's share: its floor, plus one unit of the remainder for each of the first
    -- |remainder| touches in path order. Integer units, summed per group by the view.
    credit_rows AS
    (
        SELECT
            lead_id,
            captured_at,
            /* [every_model_carried] */
            touch.3 AS channel,
            touch.4 AS campaign,
            toUInt64(0) AS leads,
            if(won_units = 0, NULL, won_currency) AS won_code,
            if(pipeline_units = 0, NULL, pipeline_currency) AS pipeline_code,
            toInt128(won_floor_unit + if(i <= abs(won_remainder), sign(won_remainder), 0)) AS won_credit,
            toInt128(pipeline_floor_unit + if(i <= abs(pipeline_remainder), sign(pipeline_remainder), 0)) AS pipeline_credit
        FROM credited
        ARRAY JOIN path AS touch, won_floor AS won_floor_unit, pipeline_floor AS pipeline_floor_unit, arrayEnumerate(path) AS i
    ),
    -- Each lead once per (channel, campaign) its counted path touches: a pair counts when its
    -- earliest touch, of the lead's own (lead_event_summary.touch_pairs, kept as events arrive:
    -- migrations 0025–0027; all time, so cut at as_of here like the fold) or stitched, is not
    -- after the close. The same leads and pairs as the path's distinct (channel, campaign),
    -- without walking every touch of every lead.
    touched_rows AS
    (
        SELECT
            lead_id,
            captured_at,
            pair.1 AS channel,
            pair.2 AS campaign,
            toUInt64(1) AS leads,
            CAST(NULL, 'Nullable(String)') AS won_code,
            CAST(NULL, 'Nullable(String)') AS pipeline_code,
            toInt128(0) AS won_credit,
            toInt128(0) AS pipeline_credit
        FROM
        (
            SELECT
                cohort.lead_id AS lead_id,
                cohort.captured_at AS captured_at,
                arrayDistinct(arrayConcat(
                    if(
                        own_path_cut,
                        arrayMap(
                            t -> tuple(t.3, t.4),
                            arrayFilter(t -> closed_at IS NULL OR t.1 <= closed_at, touch_path)
                        ),
                        arrayFilter(
                            (key, t) -> t <= {as_of:DateTime64(3, 'UTC')} AND (closed_at IS NULL OR t <= closed_at),
                            own.pairs.1,
                            own.pairs.2
                        )
                    ),
                    arrayMap(
                        t -> tuple(t.3, t.4),
                        arrayFilter(t -> closed_at IS NULL OR t.1 <= closed_at, stitched_touches)
                    )
                )) AS pairs
            FROM cohort
            LEFT JOIN
            (
                SELECT lead_id, touch_pairs AS pairs
                FROM {db:Identifier}.lead_event_summary FINAL
                WHERE true
                {{lead_cut}}
            ) AS own ON own.lead_id = cohort.lead_id
        )
        ARRAY JOIN pairs AS pair
    )
-- [attribution_halves]
SELECT * FROM credit_rows
UNION ALL
SELECT * FROM touched_rows
