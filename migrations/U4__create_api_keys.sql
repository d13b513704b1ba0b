-- Undoes V4: every API key stops working.
DROP TABLE api_keys;
