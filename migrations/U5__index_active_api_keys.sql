-- Undoes V5. Undo scripts run in a transaction with the removal of their history row, so this is a plain
-- DROP INDEX: it holds an exclusive lock on api_keys for the moment the drop takes, not for a rebuild.
DROP INDEX api_keys_active_by_user_idx;
