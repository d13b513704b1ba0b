-- Undoes V6: the sign-in audit trail and the auditor role (fails while a user still holds it: revoke it first).
DROP TABLE login_events;
DELETE FROM roles WHERE id = 4;
