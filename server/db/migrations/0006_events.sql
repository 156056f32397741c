-- Festivals and events: the schedule of the festival grounds' stage, RSVPs, and the
-- emergency alerts sent to everyone.

CREATE TABLE festival_events (
    id            bigserial PRIMARY KEY,
    -- The zone and the stage in it; two live events never overlap on one stage.
    zone          text NOT NULL,
    stage         text NOT NULL,
    -- Locale -> text maps (Korean required), checked by the server.
    title         jsonb NOT NULL,
    description   jsonb NOT NULL,
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    capacity      integer NOT NULL CHECK (capacity BETWEEN 1 AND 1000000),
    -- Token subjects of the performers and interpreters on the bill.
    performers    text[] NOT NULL DEFAULT '{}',
    -- Citizens chosen to ring a stroke of the bell during the event.
    ringers       text[] NOT NULL DEFAULT '{}',
    gates         text NOT NULL DEFAULT 'closed' CHECK (gates IN ('open', 'closed')),
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- When those who RSVPed were told it started (once).
    announced_at  timestamptz,
    cancelled_at  timestamptz,
    CHECK (ends_at > starts_at)
);
CREATE INDEX festival_events_by_stage ON festival_events (zone, stage, starts_at)
    WHERE cancelled_at IS NULL;
CREATE INDEX festival_events_to_announce ON festival_events (starts_at)
    WHERE announced_at IS NULL AND cancelled_at IS NULL;

CREATE TABLE event_rsvps (
    event_id    bigint NOT NULL REFERENCES festival_events (id),
    subject     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, subject)
);
CREATE INDEX event_rsvps_by_subject ON event_rsvps (subject);

-- Synchronized moments: cues every client fires at the same server time (the bell's
-- strokes at midnight, fireworks, a light show, a countdown's end).
CREATE TABLE event_moments (
    id            bigserial PRIMARY KEY,
    event_id      bigint NOT NULL REFERENCES festival_events (id),
    kind          text NOT NULL CHECK (kind IN ('bell', 'fireworks', 'lights', 'countdown',
                                                'cue')),
    at            timestamptz NOT NULL,
    -- Locale -> text: what the moment is called on screens and in captions.
    label         jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- Repeats (the 33 strokes of the bell): how many, and seconds between them.
    count         integer NOT NULL DEFAULT 1 CHECK (count BETWEEN 1 AND 108),
    every_s       double precision NOT NULL DEFAULT 0 CHECK (every_s >= 0 AND every_s <= 600),
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    cancelled_at  timestamptz
);
CREATE INDEX event_moments_upcoming ON event_moments (at) WHERE cancelled_at IS NULL;

CREATE TABLE alerts (
    id          bigserial PRIMARY KEY,
    -- Locale -> text maps (Korean required).
    title       jsonb NOT NULL,
    body        jsonb NOT NULL,
    -- An image the clients show with it: a path served by Plaza or an https URL.
    image       text CHECK (char_length(image) <= 500),
    sent_by     text NOT NULL,
    sent_at     timestamptz NOT NULL DEFAULT now(),
    -- How many connections it reached when sent.
    reached     integer NOT NULL DEFAULT 0
);
