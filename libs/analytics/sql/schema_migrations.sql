-- schema_migrations: which migration files have been applied to this database.
-- Grain: one row per migration version. Bootstrapped by migrate() before any numbered
-- migration runs, so it is not itself a numbered migration.
-- ReplacingMergeTree on version: two migrators racing on a fresh database may both record the
-- same version; the duplicate collapses and readers use FINAL. The checksum lets migrate()
-- refuse to run when an already-applied file was edited (applied migrations are immutable).
CREATE TABLE IF NOT EXISTS {db:Identifier}.schema_migrations
(
    version    UInt32,
    name       String,
    checksum   FixedString(64),
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY version
