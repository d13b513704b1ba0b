-- The queries of the example accounts API, each with the schema revision the code that runs it requires.
-- `lockstep verify -l migrations --queries examples/accounts/queries.sql` runs each one, in a transaction that is
-- rolled back, at every revision from the one it requires: while a rollout is under way, code that requires 3 keeps
-- serving on 4, 5 and 6, so its queries must keep working there. A query that a contract step breaks on purpose
-- says so with `-- until: <version>`.

-- name: sign_up
-- requires: 1
INSERT INTO users (email, display_name) VALUES ('ada@example.org', 'Ada');

-- name: find_user_by_email
-- requires: 1
SELECT id, email, display_name, created_at FROM users
WHERE lower(email) = lower('Ada@Example.org') AND disabled_at IS NULL;

-- name: grant_member_role
-- requires: 2
INSERT INTO users (email) VALUES ('grace@example.org');
INSERT INTO user_roles (user_id, role_id)
SELECT u.id, r.id FROM users u, roles r WHERE u.email = 'grace@example.org' AND r.name = 'member';

-- name: roles_of_user
-- requires: 2
SELECT r.name FROM roles r JOIN user_roles ur ON ur.role_id = r.id JOIN users u ON u.id = ur.user_id
WHERE lower(u.email) = lower('grace@example.org') ORDER BY r.name;

-- name: set_password
-- requires: 3
INSERT INTO users (email) VALUES ('alan@example.org');
INSERT INTO password_credentials (user_id, algorithm, cost, salt, password_hash)
SELECT id, 'argon2id', 3, decode(repeat('ab', 16), 'hex'), decode(repeat('cd', 32), 'hex') FROM users
WHERE email = 'alan@example.org';

-- name: create_api_key
-- requires: 4
INSERT INTO users (email) VALUES ('edsger@example.org');
INSERT INTO api_keys (user_id, name, prefix, key_hash, scopes)
SELECT id, 'ci', 'ab12cd34', decode(repeat('ef', 32), 'hex'), ARRAY['read'] FROM users WHERE email = 'edsger@example.org';

-- name: authenticate_api_key
-- requires: 4
SELECT k.id, k.user_id, k.scopes FROM api_keys k
WHERE k.prefix = 'ab12cd34' AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now());

-- name: active_keys_of_user
-- requires: 5
SELECT id, name, last_used_at FROM api_keys WHERE user_id = 1 AND revoked_at IS NULL ORDER BY created_at DESC;

-- name: record_sign_in
-- requires: 6
INSERT INTO users (email) VALUES ('barbara@example.org');
INSERT INTO login_events (user_id, method, succeeded)
SELECT id, 'password', true FROM users WHERE email = 'barbara@example.org';

-- name: sign_in_audit_trail
-- requires: 6
SELECT e.occurred_at, e.method, e.succeeded, u.email FROM login_events e LEFT JOIN users u ON u.id = e.user_id
ORDER BY e.occurred_at DESC LIMIT 50;
