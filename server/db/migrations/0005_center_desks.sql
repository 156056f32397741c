-- The 120 Center's desks and the rest of a ticket's life: who staffs the center, callback
-- contacts, the consulting staff member's name, and erasing texts after the retention period.

-- One row per civil servant who ever opened the console.
CREATE TABLE center_staff (
    subject     text PRIMARY KEY,
    name        text NOT NULL,
    status      text NOT NULL DEFAULT 'offline'
                CHECK (status IN ('available', 'busy', 'on_break', 'offline')),
    -- The categories they serve; the categories themselves are configured in the server.
    skills      text[] NOT NULL DEFAULT '{}',
    -- The 3D desk they sit at while not offline.
    desk        integer CHECK (desk BETWEEN 1 AND 999),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'offline' OR desk IS NULL)
);
-- Two civil servants never share a desk.
CREATE UNIQUE INDEX center_staff_desk ON center_staff (desk) WHERE desk IS NOT NULL;

-- A callback request's phone number or e-mail address.
ALTER TABLE tickets ADD COLUMN contact text CHECK (char_length(contact) <= 100);
-- The serving staff member's display name, shown to the citizen.
ALTER TABLE tickets ADD COLUMN staff_name text;
-- When the texts of an ended ticket were erased (retention).
ALTER TABLE tickets ADD COLUMN purged_at timestamptz;
ALTER TABLE tickets DROP CONSTRAINT tickets_description_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_description_check
    CHECK (purged_at IS NOT NULL OR char_length(description) BETWEEN 1 AND 500);
ALTER TABLE tickets DROP CONSTRAINT IF EXISTS tickets_check1;
-- Closed tickets keep a resolution until it is purged.
ALTER TABLE tickets ADD CONSTRAINT tickets_closed_resolution
    CHECK (state <> 'closed' OR resolution IS NOT NULL OR purged_at IS NOT NULL);
-- The retention sweep looks for ended tickets by age.
CREATE INDEX tickets_ended ON tickets (closed_at) WHERE purged_at IS NULL AND closed_at IS NOT NULL;
-- Figures of the day: tickets by creation and closing time.
CREATE INDEX tickets_created ON tickets (created_at);
CREATE INDEX ticket_events_recent ON ticket_events (at, kind);
