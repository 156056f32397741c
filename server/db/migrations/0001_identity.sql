-- Identity, profiles, presence, moderation and the audit trail.

-- One row per user (token subject): what they chose for themselves.
CREATE TABLE profiles (
    subject         text PRIMARY KEY,
    display_name    text NOT NULL,
    locale          text NOT NULL DEFAULT 'ko' CHECK (locale IN ('ko', 'en', 'ja', 'zh')),
    appearance      jsonb NOT NULL DEFAULT '{}'::jsonb,
    captions        boolean NOT NULL DEFAULT false,
    reduced_motion  boolean NOT NULL DEFAULT false,
    high_contrast   boolean NOT NULL DEFAULT false,
    mode_2d         boolean NOT NULL DEFAULT false,
    -- The role the user last signed in with (the token decides; this is for consoles).
    last_role       text NOT NULL DEFAULT 'guest',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Where each user last stood: written behind in batches, read at sign-in.
CREATE TABLE last_places (
    subject   text PRIMARY KEY,
    zone      text NOT NULL,
    x         real NOT NULL,
    y         real NOT NULL,
    z         real NOT NULL,
    yaw       real NOT NULL,
    saved_at  timestamptz NOT NULL DEFAULT now()
);

-- Bans (refused at the door) and mutes (heard by nobody), by moderators and admins.
CREATE TABLE sanctions (
    id          bigserial PRIMARY KEY,
    subject     text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('ban', 'mute')),
    reason      text NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- NULL: until lifted.
    expires_at  timestamptz,
    lifted_at   timestamptz,
    lifted_by   text
);
CREATE INDEX sanctions_active ON sanctions (subject, kind) WHERE lifted_at IS NULL;

-- Every privileged action: who, in which role, did what to whom, when.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    actor_role  text NOT NULL,
    action      text NOT NULL,
    target      text,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_target ON audit_log (target, at);

-- The trail is append-only, whoever connects: rows can be added, never changed or removed.
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END;
$$;
CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

-- A client-made key per must-not-be-lost request: a retry returns the first result.
CREATE TABLE idempotency_keys (
    actor       text NOT NULL,
    key         text NOT NULL,
    action      text NOT NULL,
    result      jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, key)
);
