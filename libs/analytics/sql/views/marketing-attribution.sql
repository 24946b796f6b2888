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
-- broken by global_position (so the path is a function of the events only), a touchpoint id
-- once per lead whichever route recorded it (the earliest copy in the global order; ADR 0012,
-- addendum), and none after the
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
--
-- Its rows per lead (credited touches, touched pairs) are marketing-attribution.rows.sql, in
-- place of the view_rows marker; for "now" they may come instead from the credits kept for a
-- snapshot of the per-lead funnel (marketing-attribution.kept.sql): the same rows summed per
-- lead, so the same sums.
WITH
    -- The per-lead rows summed per (channel, campaign, currency): integer units, so summing
    -- units before building the money maps gives the same exact decimals as summing each
    -- touch's share, with one map per group instead of one per touch. A 'touched' row has no
    -- currency and no money; a credit row counts no lead.
    -- Grouped by one tuple key, not four columns: the analyzer walks the whole source of each
    -- GROUP BY key, and here that source is the rows file with every lambda in it (~15 ms of
    -- planning per key, whatever the data; docs/performance.md, "Fixed cost per request").
    grouped AS
    (
        SELECT
            group_key.1 AS channel,
            group_key.2 AS campaign,
            group_key.3 AS won_code,
            group_key.4 AS pipeline_code,
            sum(leads) AS leads,
            sum(won_credit) AS won_credit,
            sum(pipeline_credit) AS pipeline_credit
        FROM
        (
            SELECT tuple(channel, campaign, won_code, pipeline_code) AS group_key, leads, won_credit, pipeline_credit
            FROM {{view_rows}} AS lead_rows
        )
        GROUP BY group_key
    ),
    contributions AS
    (
        SELECT
            channel,
            campaign,
            leads,
            if(won_code IS NULL, CAST(map(), 'Map(String, Decimal(38, 4))'),
               map(assumeNotNull(won_code), toDecimal128(won_credit, 4) / 10000)) AS won,
            if(pipeline_code IS NULL, CAST(map(), 'Map(String, Decimal(38, 4))'),
               map(assumeNotNull(pipeline_code), toDecimal128(pipeline_credit, 4) / 10000)) AS pipeline,
            CAST(map(), 'Map(String, Decimal(38, 4))') AS spend
        FROM grouped
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
    pair_key.1 AS channel,
    pair_key.2 AS campaign,
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
    -- One tuple key again (see grouped).
    SELECT
        pair_key,
        sum(leads) AS leads_touched,
        mapFilter((code, amount) -> amount != 0, sumMap(won)) AS won_sum,
        mapFilter((code, amount) -> amount != 0, sumMap(pipeline)) AS pipeline_sum,
        mapFilter((code, amount) -> amount != 0, sumMap(spend)) AS spend_sum
    FROM (SELECT tuple(channel, campaign) AS pair_key, leads, won, pipeline, spend FROM contributions)
    GROUP BY pair_key
)
ORDER BY pair_key
