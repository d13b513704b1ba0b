-- Audit trail of sign-ins, by password or API key. Kept apart from users so it can be pruned on its own.
CREATE TABLE login_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint REFERENCES users (id) ON DELETE SET NULL,
    api_key_id  bigint REFERENCES api_keys (id) ON DELETE SET NULL,
    method      text   NOT NULL CHECK (method IN ('password', 'api_key')),
    succeeded   boolean NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX login_events_user_time_idx ON login_events (user_id, occurred_at DESC);

-- A new role for the people who read this trail.
INSERT INTO roles (id, name, description) VALUES (4, 'auditor', 'Reads the sign-in audit trail');
