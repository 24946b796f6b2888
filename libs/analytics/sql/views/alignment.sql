-- Alignment: the numbers marketing and sales used to argue about, per capture source.
--
-- Grain: one row per (channel, campaign) of the lead's LeadCaptured source, over leads of the
-- capture cohort [captured_from, captured_to) that were ever handed to sales.
--
-- SLA is judged on the lead's LATEST hand-off (the one the sales lens attributes the lead to):
-- its slaDueAt, and the first LeadAcceptedBySales / LeadRejectedBySales after it in the global
-- log (the response). Each handed lead is in exactly one of:
--   accepted_in_sla / rejected_in_sla  responded at or before slaDueAt
--   responded_late                     responded after slaDueAt
--   open_past_due                      no response yet, and judged_at is past slaDueAt
--   open_in_sla                        no response yet, slaDueAt not reached (or no SLA)
-- sla_compliance = (accepted_in_sla + rejected_in_sla) / (handed_to_sales - open_in_sla): of the
--                  hand-offs whose SLA has been decided, the share answered in time.
-- leaked         = responded_late + open_past_due: MQLs nobody acted on within the SLA.
-- recycled       = handed leads recycled at least once; recycle_rate = recycled / handed.
-- rejection_reasons: reason code -> handed leads whose latest rejection gave that reason
--                  (ever rejected, "ever reached" like the lenses).
-- sales_sourced  = of handed_to_sales, the leads that entered sales directly, without an MQL
--                  (ADR 0008); their hand-off carries an SLA like any other.
-- Rates are NULL when the denominator is 0; rounded to 4 places.
--
-- Parameters: db Identifier, captured_from / captured_to / as_of / judged_at DateTime64(3, 'UTC').
-- judged_at is the "now" that open SLAs are judged against: the asOf a caller gives (which
-- also cuts the events there), or the current time when none is given (then every event
-- counts); pass asOf explicitly for reproducible output.
-- Reads the lead-funnel fragment (views/_lead-funnel.sql), so it also binds rules_version, definition_hash,
-- sla_ms and as_of — the rule set the numbers are computed under and the business time they are as of.
WITH
    judged AS
    (
        SELECT
            facts.channel AS channel,
            facts.campaign AS campaign,
            facts.path AS path,
            facts.sla_due_at AS sla_due_at,
            facts.recycled_count AS recycled_count,
            facts.rejected_at AS rejected_at,
            facts.rejection_reason AS rejection_reason,
            arrayFirst(r -> r.1 > facts.handed_position, facts.responses) AS response,
            response.1 > 0 AS responded,
            responded AND facts.sla_due_at IS NOT NULL AND response.2 > facts.sla_due_at AS late,
            multiIf(
                responded AND NOT late AND response.3 = 'LeadAcceptedBySales', 'accepted_in_sla',
                responded AND NOT late, 'rejected_in_sla',
                responded, 'responded_late',
                facts.sla_due_at IS NOT NULL AND {judged_at:DateTime64(3, 'UTC')} > facts.sla_due_at, 'open_past_due',
                'open_in_sla'
            ) AS sla_state
        FROM {{lead_funnel}} AS facts
        WHERE facts.handed_position > 0
          AND facts.captured_at >= {captured_from:DateTime64(3, 'UTC')}
          AND facts.captured_at < {captured_to:DateTime64(3, 'UTC')}
    )
SELECT
    channel,
    campaign,
    count() AS handed_to_sales,
    countIf(path = 'sales_sourced') AS sales_sourced,
    countIf(sla_state = 'accepted_in_sla') AS accepted_in_sla,
    countIf(sla_state = 'rejected_in_sla') AS rejected_in_sla,
    countIf(sla_state = 'responded_late') AS responded_late,
    countIf(sla_state = 'open_past_due') AS open_past_due,
    countIf(sla_state = 'open_in_sla') AS open_in_sla,
    responded_late + open_past_due AS leaked,
    if(
        handed_to_sales - open_in_sla = 0,
        NULL,
        round((accepted_in_sla + rejected_in_sla) / (handed_to_sales - open_in_sla), 4)
    ) AS sla_compliance,
    countIf(recycled_count > 0) AS recycled,
    round(recycled / handed_to_sales, 4) AS recycle_rate,
    CAST(sumMapIf(map(rejection_reason, toUInt64(1)), rejected_at IS NOT NULL), 'Map(String, UInt64)') AS rejection_reasons
FROM judged
GROUP BY channel, campaign
ORDER BY channel, campaign
