-- Undoes V2: the seeded roles. Fails (foreign key) while a user still holds one of them, rather than
-- taking their grants away silently: revoke them first.
DELETE FROM roles WHERE id IN (1, 2, 3);
