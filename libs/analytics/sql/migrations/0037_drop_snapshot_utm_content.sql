-- lead_funnel_snapshots' copy of a capture's UTM content, blanked as lead_state's is (0036).
ALTER TABLE {db:Identifier}.lead_funnel_snapshots
UPDATE content = ''
WHERE content != ''
SETTINGS mutations_sync = 2
