-- Touchpoint content is personal (people type into it: a chat transcript, an e-mail body) and
-- is no longer projected (ADR 0009). This removes it from the rows projected before, so a view
-- and a rebuild agree byte for byte and ClickHouse holds no copy. `content` is the last key of
-- TouchpointRecorded's data as JSON.stringify wrote it, so cutting from it to the closing brace
-- leaves exactly what the projector writes now. A mutation rewrites whole parts; the old parts
-- stay on disk until ClickHouse removes them (old_parts_lifetime, 8 minutes by default).
ALTER TABLE {db:Identifier}.lead_events
UPDATE data = replaceRegexpOne(data, ',"content":(null|"([^"\\\\]|\\\\.)*")\\}$', '}')
WHERE type = 'TouchpointRecorded' AND match(data, ',"content":(null|"([^"\\\\]|\\\\.)*")\\}$')
SETTINGS mutations_sync = 2
