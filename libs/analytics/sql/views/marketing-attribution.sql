-- Marketing attribution: which channels and campaigns bring revenue, under one attribution
-- model, with spend and ROI beside it.
--
-- Grain: one row per (channel, campaign) that either touched a lead of the capture cohort
-- [captured_from, captured_to) or has spend whose spent_on day starts in that window.
-- campaign is '' for a touch without a campaign.
--
-- Which touches count (ADR 0012): the lead's LeadCaptured source, every TouchpointRecorded with
-- a channel or a campaign, and every anonymous touch before (or after) capture of the visitors
-- its LeadCaptured names (visitor_touches: web visits, ad clicks), ordered by occurred_at, ties
-- broken by global_position (so the path is a function of the events only), and none after the
-- deal closed: a won lead's path ends at its first DealWon, a lost lead's (with no opportunity
-- open again) at its first DealLost. Erasure changes nothing here: touches and visitor ids carry
-- no personal data, so an erased lead keeps its path.
--
-- Milestones (Marketo Measure, HubSpot): FT the first touch; LC the lead-creation touch (the
-- LeadCaptured one: the first touch at captured_at); OC the last touch at or before the first
-- OpportunityOpened; CW the last touch at or before the first DealWon. A milestone the lead has
-- not reached is absent. Positional models credit touches up to their last milestone only:
--   first_touch  FT.                   last_touch  the last touch.
--   linear       every touch equally.
--   u_shaped     FT and LC, the rest spread over the touches between them.
--   w_shaped     FT, LC and OC, the rest spread over the other touches up to OC.
--   full_path    FT, LC, OC and CW, the rest spread over the other touches up to CW.
--   time_decay   every touch, halving its weight per half_life_ms before the last touch.
-- Positional shares are parameters in hundredths of a percent (weight_first, …, weight_others;
-- the dictionary's attribution.weights). Two milestones on one touch add up on it. With m
-- "other" touches, a milestone gets share * m and each other touch weight_others, so the
-- milestones and the others get their percentages exactly; with m = 0 the milestones share the
-- whole amount in proportion. A path whose weights are all zero is credited linearly.
-- Time decay weights are round(2^(-age / half_life) * 1e12), age from the last counted touch
-- (the shares do not depend on the reference point; the last touch always weighs 1e12).
--
-- A lead's amount (won: its DealWon amount; pipeline: its open opportunity's amount) is split
-- over its path by those integer weights w_i, exactly, in units of 0.0001 (Decimal(38, 4)):
-- share_i = floor(units * w_i / sum(w)); the remainder units (fewer than n) go one each to the
-- first touches in path order. So the shares of a lead always sum to its amount exactly, and
-- summing any column over all rows gives the cohort's won revenue / pipeline per currency.
--
-- spend: sum of campaign_spend (FINAL) for the (channel, campaign), per currency.
-- roi:   per currency with spend > 0: attributed won revenue in that currency / spend, rounded
--        to 4 places (no FX: revenue in another currency does not count against that spend).
--
-- Parameters: db Identifier, model String (validated by the caller: first_touch, last_touch,
-- linear, u_shaped, w_shaped, full_path, time_decay), captured_from / captured_to
-- DateTime64(3, 'UTC'), weight_first, weight_lead_creation, weight_opportunity_creation,
-- weight_closed_won, weight_others UInt32 (hundredths of a percent), half_life_ms UInt64.
-- Reads the lead-funnel fragment (views/_lead-funnel.sql), so it also binds rules_version,
-- definition_hash, sla_ms and as_of — the rule set the numbers are computed under and the
-- business time they are as of.
WITH
    -- Touches before capture: the visitors each LeadCaptured names (visitorIds), and their
    -- AnonymousTouchpointRecorded rows, up to as_of like every event a view reads.
    stitched AS
    (
        SELECT
            captures.lead_id AS lead_id,
            groupUniqArray(tuple(
                touch.occurred_at, touch.global_position, CAST(touch.channel, 'String'), touch.campaign
            )) AS touches
        FROM
        (
            -- No FINAL: a redelivered capture names the same visitors, and groupUniqArray below
            -- keeps each touch once, so the whole table is never merged per request.
            SELECT lead_id, arrayJoin(JSONExtract(data, 'visitorIds', 'Array(String)')) AS visitor_id
            FROM {db:Identifier}.lead_events
            WHERE type = 'LeadCaptured'
              AND occurred_at <= {as_of:DateTime64(3, 'UTC')}
              AND position(data, '"visitorIds"') > 0
        ) AS captures
        INNER JOIN
        (
            SELECT visitor_id, occurred_at, global_position, channel, campaign
            FROM {db:Identifier}.visitor_touches FINAL
            WHERE occurred_at <= {as_of:DateTime64(3, 'UTC')}
        ) AS touch ON touch.visitor_id = captures.visitor_id
        GROUP BY captures.lead_id
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
            facts.touch_path AS touch_path,
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
    ),
    -- The counted path of each lead with an amount to split (won, or an open opportunity): only
    -- those need their credit computed (the array work per touch is most of this view's cost).
    counted AS
    (
        SELECT
            lead_id,
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
    milestones AS
    (
        SELECT
            *,
            length(path) AS n,
            greatest(1, arrayFirstIndex(t -> t.2 = capture_position, path)) AS lc,
            if(opportunity_at IS NULL, 0, greatest(lc, arrayCount(t -> t.1 <= opportunity_at, path))) AS oc,
            if(won_at IS NULL, 0, greatest(lc, oc, arrayCount(t -> t.1 <= won_at, path))) AS cw,
            {model:String} IN ('w_shaped', 'full_path') AS has_oc,
            {model:String} = 'full_path' AS has_cw,
            multiIf(
                {model:String} = 'u_shaped', lc,
                {model:String} = 'w_shaped', greatest(lc, oc),
                {model:String} = 'full_path', greatest(lc, oc, cw),
                n
            ) AS window_end,
            arrayMap(i -> i = 1 OR i = lc OR (has_oc AND i = oc) OR (has_cw AND i = cw), range(1, n + 1)) AS is_milestone,
            arrayCount((key, i) -> NOT key AND i <= window_end, is_milestone, range(1, n + 1)) AS others
        FROM counted
        WHERE length(path) > 0
    ),
    credited AS
    (
        SELECT
            lead_id,
            path,
            -- The last counted touch's time, as a number: time decay ages every touch from it.
            -- (A scalar: a lambda that read path[n] would copy the whole path for each touch.)
            toUnixTimestamp64Milli(path[n].1) AS last_ms,
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
            -- All-zero weights (e.g. every share on "others" and no other touch): linear.
            if(arraySum(raw_weights) = 0, arrayMap(i -> toInt128(1), range(1, n + 1)), raw_weights) AS weights,
            arraySum(weights) AS total_weight,
            won_units,
            pipeline_units,
            arrayMap(w -> intDiv(won_units * w, total_weight), weights) AS won_floor,
            arrayMap(w -> intDiv(pipeline_units * w, total_weight), weights) AS pipeline_floor,
            won_units - arraySum(won_floor) AS won_remainder,
            pipeline_units - arraySum(pipeline_floor) AS pipeline_remainder,
            won_currency,
            pipeline_currency
        FROM milestones
    ),
    -- Credited units per (channel, campaign, currency): integer sums, so summing units before
    -- building the money maps gives the same exact decimals as summing each touch's share, with
    -- one map per group instead of one per touch.
    credits AS
    (
        SELECT
            touch.3 AS channel,
            touch.4 AS campaign,
            if(won_units = 0, NULL, won_currency) AS won_code,
            if(pipeline_units = 0, NULL, pipeline_currency) AS pipeline_code,
            -- A touch's share: its floor, plus one unit of the remainder for each of the first
            -- |remainder| touches in path order.
            sum(won_floor_unit + if(i <= abs(won_remainder), sign(won_remainder), 0)) AS won_credit,
            sum(pipeline_floor_unit + if(i <= abs(pipeline_remainder), sign(pipeline_remainder), 0)) AS pipeline_credit
        FROM credited
        ARRAY JOIN path AS touch, won_floor AS won_floor_unit, pipeline_floor AS pipeline_floor_unit, arrayEnumerate(path) AS i
        GROUP BY channel, campaign, won_code, pipeline_code
    ),
    -- Each lead once per (channel, campaign) its counted path touches: a pair counts when its
    -- earliest touch, of the lead's own (lead_event_summary.touch_pairs, kept as events arrive:
    -- migrations 0025–0027; all time, so cut at as_of here like the fold) or stitched, is not
    -- after the close. The same leads and pairs as the path's distinct (channel, campaign),
    -- without walking every touch of every lead.
    touched AS
    (
        SELECT pair.1 AS channel, pair.2 AS campaign, count() AS leads
        FROM
        (
            SELECT
                arrayDistinct(arrayConcat(
                    arrayFilter(
                        (key, t) -> t <= {as_of:DateTime64(3, 'UTC')} AND (closed_at IS NULL OR t <= closed_at),
                        own.pairs.1,
                        own.pairs.2
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
            ) AS own ON own.lead_id = cohort.lead_id
        )
        ARRAY JOIN pairs AS pair
        GROUP BY channel, campaign
    ),
    contributions AS
    (
        SELECT
            channel,
            campaign,
            leads,
            CAST(map(), 'Map(String, Decimal(38, 4))') AS won,
            CAST(map(), 'Map(String, Decimal(38, 4))') AS pipeline,
            CAST(map(), 'Map(String, Decimal(38, 4))') AS spend
        FROM touched
        UNION ALL
        SELECT
            channel,
            campaign,
            toUInt64(0) AS leads,
            if(won_code IS NULL, CAST(map(), 'Map(String, Decimal(38, 4))'),
               map(assumeNotNull(won_code), toDecimal128(won_credit, 4) / 10000)) AS won,
            if(pipeline_code IS NULL, CAST(map(), 'Map(String, Decimal(38, 4))'),
               map(assumeNotNull(pipeline_code), toDecimal128(pipeline_credit, 4) / 10000)) AS pipeline,
            CAST(map(), 'Map(String, Decimal(38, 4))') AS spend
        FROM credits
        UNION ALL
        SELECT
            channel,
            campaign,
            toUInt64(0) AS leads,
            CAST(map(), 'Map(String, Decimal(38, 4))') AS won,
            CAST(map(), 'Map(String, Decimal(38, 4))') AS pipeline,
            map(currency, amount) AS spend
        FROM {db:Identifier}.campaign_spend FINAL
        WHERE toDateTime64(spent_on, 3, 'UTC') >= {captured_from:DateTime64(3, 'UTC')}
          AND toDateTime64(spent_on, 3, 'UTC') < {captured_to:DateTime64(3, 'UTC')}
    )
SELECT
    channel,
    campaign,
    leads_touched,
    mapApply((code, amount) -> (code, toString(amount)), won_sum) AS won_revenue,
    mapApply((code, amount) -> (code, toString(amount)), pipeline_sum) AS pipeline,
    mapApply((code, amount) -> (code, toString(amount)), spend_sum) AS spend,
    mapApply(
        (code, amount) -> (code, round(toFloat64(won_sum[code]) / toFloat64(amount), 4)),
        mapFilter((code, amount) -> amount > 0, spend_sum)
    ) AS roi
FROM
(
    SELECT
        channel,
        campaign,
        sum(leads) AS leads_touched,
        mapFilter((code, amount) -> amount != 0, sumMap(won)) AS won_sum,
        mapFilter((code, amount) -> amount != 0, sumMap(pipeline)) AS pipeline_sum,
        mapFilter((code, amount) -> amount != 0, sumMap(spend)) AS spend_sum
    FROM contributions
    GROUP BY channel, campaign
)
ORDER BY channel, campaign
