-- Undoes V1: the accounts tables, dependants first. Everything in them is lost: take a backup before going down.
DROP TABLE user_roles;
DROP TABLE users;
DROP TABLE roles;
