-- The Metaverse 120 Center: numbered tickets that are never lost, and their full history.

-- One row per ticket a citizen (or guest) takes; it lives on after it is closed.
CREATE TABLE tickets (
    id              bigserial PRIMARY KEY,
    -- Who took the number (token subject) and the name they went by then.
    subject         text NOT NULL,
    citizen_name    text NOT NULL,
    -- The queue it waits in; the categories are configured in the server, not here.
    category        text NOT NULL,
    description     text NOT NULL CHECK (char_length(description) BETWEEN 1 AND 500),
    -- Accessibility needs the desk should prepare for.
    needs           text[] NOT NULL DEFAULT '{}'
                    CHECK (needs <@ ARRAY['sign_language', 'easy_language', 'large_text']),
    state           text NOT NULL DEFAULT 'waiting'
                    CHECK (state IN ('waiting', 'called', 'in_consultation', 'closed',
                                     'cancelled')),
    -- The staff member (subject) serving it, and at which desk.
    assigned_to     text,
    desk            integer,
    resolution      text,
    rating          smallint CHECK (rating BETWEEN 1 AND 5),
    rating_comment  text,
    -- Left outside staffed hours: the center calls the citizen back.
    callback        boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    called_at       timestamptz,
    -- When it ended: closed by staff or cancelled.
    closed_at       timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- Someone is serving a called ticket; a closed one says how it ended; only those rate.
    CHECK (state NOT IN ('called', 'in_consultation') OR assigned_to IS NOT NULL),
    CHECK (state <> 'closed' OR resolution IS NOT NULL),
    CHECK (rating IS NULL OR state = 'closed')
);
-- The queues: waiting tickets of a category, oldest first.
CREATE INDEX tickets_queue ON tickets (category, created_at, id) WHERE state = 'waiting';
CREATE INDEX tickets_by_subject ON tickets (subject, created_at);
CREATE INDEX tickets_assigned ON tickets (assigned_to)
    WHERE state IN ('called', 'in_consultation');

-- Everything that happened to a ticket, in order (id order within one transaction).
CREATE TABLE ticket_events (
    id         bigserial PRIMARY KEY,
    ticket_id  bigint NOT NULL REFERENCES tickets (id),
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    kind       text NOT NULL
               CHECK (kind IN ('created', 'called', 'message', 'note', 'transferred', 'closed',
                               'rated', 'cancelled', 'purged')),
    detail     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, id);
