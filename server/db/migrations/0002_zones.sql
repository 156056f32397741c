-- Zones: records kept for zone scripts, chat blocks and reports for moderators.

-- A zone's own key/value records (ctx.save), shared by all its instances.
CREATE TABLE zone_records (
    zone        text NOT NULL,
    key         text NOT NULL,
    value       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (zone, key)
);

-- Per-user records of a zone (ctx.save_for): stamps collected, badges earned.
CREATE TABLE zone_user_records (
    zone        text NOT NULL,
    subject     text NOT NULL,
    key         text NOT NULL,
    value       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, zone, key)
);

-- Whose chat a user does not want to see.
CREATE TABLE chat_blocks (
    subject     text NOT NULL,
    blocked     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, blocked),
    CHECK (subject <> blocked)
);

-- A citizen's report about another user, with the chat lines around it.
CREATE TABLE reports (
    id             bigserial PRIMARY KEY,
    reporter       text NOT NULL,
    reported       text NOT NULL,
    reported_name  text NOT NULL,
    reason         text NOT NULL,
    zone           text NOT NULL,
    instance       integer NOT NULL,
    context        jsonb NOT NULL,
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dismissed')),
    resolved_by    text,
    resolved_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reports_open ON reports (created_at) WHERE status = 'open';
