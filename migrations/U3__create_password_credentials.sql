-- Undoes V3: every stored password hash is lost; users sign in again only after a reset.
DROP TABLE password_credentials;
