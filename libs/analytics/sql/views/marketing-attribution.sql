-- Marketing attribution: which channels and campaigns bring revenue, under one attribution
-- model, with spend and ROI beside it.
--
-- Grain: one row per (channel, campaign) that either touched a lead of the capture cohort
-- [captured_from, captured_to) or has spend whose spent_on day starts in that window.
-- campaign is '' for a touch without a campaign.
--
-- Touches of a lead: its LeadCaptured source, plus every TouchpointRecorded with a channel or a
-- campaign, ordered by occurred_at, ties broken by global_position (so the path is a function of
-- the events only). Every touch the lead has is on the path, including ones after the deal.
--
-- A lead's amount (won: its DealWon amount; pipeline: its open opportunity's amount) is split
-- over its touches by integer weights w_i, exactly, in units of 0.0001 (Decimal(38, 4)):
--   first_touch  1 on the first touch.            last_touch  1 on the last touch.
--   linear       1 on every touch.
--   u_shaped     n <= 2: equal. n >= 3: first and last 2(n-2) each, every middle touch 1
--                (= 40 % / 40 % and 20 % spread evenly over the middle).
--   w_shaped     n <= 3: equal. n >= 4: three key touches 3(n-3) each, every other touch 1
--                (= 30 % / 30 % / 30 % and 10 % spread evenly over the others). The key touches
--                are the first, the last, and the lead-creation touch: the last touch at or
--                before the lead first became an MQL, clamped to the 2nd .. (n-1)th touch (the
--                middle touch, intDiv(n + 1, 2), for a lead that never became an MQL).
-- share_i = floor(units * w_i / sum(w)); the remainder units (fewer than n) go one each to the
-- first touches in path order. So the shares of a lead always sum to its amount exactly, and
-- summing any column over all rows gives the cohort's won revenue / pipeline per currency.
--
-- spend: sum of campaign_spend (FINAL) for the (channel, campaign), per currency.
-- roi:   per currency with spend > 0: attributed won revenue in that currency / spend, rounded
--        to 4 places (no FX: revenue in another currency does not count against that spend).
--
-- Parameters: db Identifier, model String (validated by the caller: first_touch, last_touch,
-- linear, u_shaped, w_shaped), captured_from / captured_to DateTime64(3, 'UTC').
-- Reads the lead-funnel fragment (views/_lead-funnel.sql), so it also binds rules_version, definition_hash,
-- sla_ms and as_of — the rule set the numbers are computed under and the business time they are as of.
WITH
    credited AS
    (
        SELECT
            facts.lead_id AS lead_id,
            facts.touch_path AS path,
            length(path) AS n,
            if(
                facts.mql_at IS NULL,
                intDiv(n + 1, 2),
                greatest(2, least(n - 1, arrayCount(t -> t.1 <= facts.mql_at, path)))
            ) AS key_touch,
            arrayMap(
                i -> toInt128(multiIf(
                    {model:String} = 'first_touch', i = 1,
                    {model:String} = 'last_touch', i = n,
                    {model:String} = 'linear', 1,
                    {model:String} = 'u_shaped', if(n <= 2, 1, if(i = 1 OR i = n, 2 * (n - 2), 1)),
                    {model:String} = 'w_shaped', if(n <= 3, 1, if(i = 1 OR i = n OR i = key_touch, 3 * (n - 3), 1)),
                    0 -- unreachable: the caller validates the model; all-zero weights fail on intDiv
                )),
                range(1, n + 1)
            ) AS weights,
            arraySum(weights) AS total_weight,
            if(facts.won_at IS NULL, toInt128(0), toInt128(facts.won_amount * 10000)) AS won_units,
            if(facts.opportunity_open, toInt128(facts.opportunity_amount * 10000), toInt128(0)) AS pipeline_units,
            arrayMap(w -> intDiv(won_units * w, total_weight), weights) AS won_floor,
            arrayMap(w -> intDiv(pipeline_units * w, total_weight), weights) AS pipeline_floor,
            won_units - arraySum(won_floor) AS won_remainder,
            pipeline_units - arraySum(pipeline_floor) AS pipeline_remainder,
            arrayMap((s, i) -> s + if(i <= abs(won_remainder), sign(won_remainder), 0), won_floor, range(1, n + 1)) AS won_shares,
            arrayMap((s, i) -> s + if(i <= abs(pipeline_remainder), sign(pipeline_remainder), 0), pipeline_floor, range(1, n + 1)) AS pipeline_shares,
            facts.won_currency AS won_currency,
            facts.currency AS pipeline_currency
        FROM {{lead_funnel}} AS facts
        WHERE length(facts.touch_path) > 0
          AND facts.captured_at >= {captured_from:DateTime64(3, 'UTC')}
          AND facts.captured_at < {captured_to:DateTime64(3, 'UTC')}
    ),
    contributions AS
    (
        SELECT
            touch.1.3 AS channel,
            touch.1.4 AS campaign,
            lead_id,
            if(won_units = 0, CAST(map(), 'Map(String, Decimal(38, 4))'),
               map(won_currency, toDecimal128(touch.2, 4) / 10000)) AS won,
            if(pipeline_units = 0, CAST(map(), 'Map(String, Decimal(38, 4))'),
               map(pipeline_currency, toDecimal128(touch.3, 4) / 10000)) AS pipeline,
            CAST(map(), 'Map(String, Decimal(38, 4))') AS spend
        FROM credited
        ARRAY JOIN arrayZip(path, won_shares, pipeline_shares) AS touch
        UNION ALL
        SELECT
            channel,
            campaign,
            '' AS lead_id,
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
        uniqExactIf(lead_id, lead_id != '') AS leads_touched,
        mapFilter((code, amount) -> amount != 0, sumMap(won)) AS won_sum,
        mapFilter((code, amount) -> amount != 0, sumMap(pipeline)) AS pipeline_sum,
        mapFilter((code, amount) -> amount != 0, sumMap(spend)) AS spend_sum
    FROM contributions
    GROUP BY channel, campaign
)
ORDER BY channel, campaign
