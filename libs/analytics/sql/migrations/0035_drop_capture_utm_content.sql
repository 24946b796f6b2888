-- A capture's UTM content (source.content) is personal (mail tools put the recipient's address
-- there) and is no longer projected (ADR 0009). This removes it from the rows projected
-- before, so a view and a rebuild agree byte for byte and ClickHouse holds no copy an erasure
-- cannot reach. `content` is the last key of LeadCaptured's source object as JSON.stringify
-- wrote it, followed by productInterest, so cutting it leaves exactly what the projector
-- writes now. lead_state (0036) and lead_funnel_snapshots (0037) lose their copies too.
ALTER TABLE {db:Identifier}.lead_events
UPDATE data = replaceRegexpOne(data, ',"content":(null|"([^"\\\\]|\\\\.)*")\\},"productInterest":', '},"productInterest":')
WHERE type = 'LeadCaptured' AND match(data, ',"content":(null|"([^"\\\\]|\\\\.)*")\\},"productInterest":')
SETTINGS mutations_sync = 2
