-- Built CONCURRENTLY so a large api_keys table stays writable while the index builds. PostgreSQL refuses
-- CONCURRENTLY inside a transaction, so this script holds this one statement and Flyway runs it outside one
-- (it recognises the statement; see V5__index_active_api_keys.sql.conf). A failed build leaves an INVALID
-- index behind: drop it (DROP INDEX CONCURRENTLY api_keys_active_by_user_idx) before retrying.
CREATE INDEX CONCURRENTLY api_keys_active_by_user_idx ON api_keys (user_id) WHERE revoked_at IS NULL;
