-- Reference data: the roles every installation starts with. Ids are fixed so application code may name them.
INSERT INTO roles (id, name, description) VALUES
    (1, 'admin',  'Manages users, roles and API keys'),
    (2, 'member', 'Uses the application'),
    (3, 'viewer', 'Reads, never writes');
