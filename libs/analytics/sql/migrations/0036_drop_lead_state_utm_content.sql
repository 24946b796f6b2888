-- lead_state's copy of a capture's UTM content (the source tuple's fifth element), blanked as
-- the projector now leaves it (see 0035): personal data no erasure could reach.
ALTER TABLE {db:Identifier}.lead_state
UPDATE source = tuple(source.1, source.2, source.3, source.4, '')
WHERE source.5 != ''
SETTINGS mutations_sync = 2
