-- Passwords are never stored: only a salted hash, with the algorithm and its cost so hashes can be upgraded.
CREATE TABLE password_credentials (
    user_id       bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    algorithm     text   NOT NULL CHECK (algorithm IN ('argon2id', 'scrypt', 'pbkdf2-sha256')),
    cost          integer NOT NULL CHECK (cost > 0),
    salt          bytea  NOT NULL CHECK (octet_length(salt) >= 16),
    password_hash bytea  NOT NULL CHECK (octet_length(password_hash) >= 32),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
