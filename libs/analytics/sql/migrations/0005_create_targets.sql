-- targets: the current target per (team, metric, period, owner), from TargetSet events.
--
-- Grain: one logical row per (team, metric, period, owner); owner is '' for a team-wide
-- target. Setting a target again replaces it: ReplacingMergeTree with version global_position
-- keeps the TargetSet latest in the global log, whatever order the events arrive in, and a
-- redelivered event (same position, same content) collapses. Readers use FINAL.
--
-- period is the TargetSet text (`YYYY-MM` or `YYYY-Qn`); period_start / period_end are the
-- calendar dates it covers, [period_start, period_end), derived by the projector so that
-- "targets vs actuals" needs no string parsing in SQL. value is Decimal(38, 4): counts for
-- count metrics, an amount for won_revenue / pipeline (TargetSet carries no currency).
CREATE TABLE IF NOT EXISTS {db:Identifier}.targets
(
    team            LowCardinality(String),
    metric          LowCardinality(String),
    period          String,
    owner           String,
    period_start    Date32,
    period_end      Date32,
    value           Decimal(38, 4),
    event_id        UUID,
    global_position UInt64,
    recorded_at     DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(global_position)
ORDER BY (team, metric, period, owner)
