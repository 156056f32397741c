-- Seoul Plaza's notice board and the mayor's office: proposals and polls.

-- Notices posted by staff; texts are locale -> text maps ("ko" required).
CREATE TABLE notices (
    id          bigserial PRIMARY KEY,
    title       jsonb NOT NULL,
    body        jsonb NOT NULL,
    posted_by   text NOT NULL,
    posted_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    removed_at  timestamptz,
    removed_by  text
);
CREATE INDEX notices_current ON notices (posted_at DESC) WHERE removed_at IS NULL;

-- Citizens' proposals and the city's official answer.
CREATE TABLE proposals (
    id           bigserial PRIMARY KEY,
    subject      text NOT NULL,
    author_name  text NOT NULL,
    title        text NOT NULL,
    body         text NOT NULL,
    state        text NOT NULL DEFAULT 'submitted'
                 CHECK (state IN ('submitted', 'under_review', 'answered', 'rejected')),
    answer       text,
    answered_by  text,
    answered_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX proposals_by_subject ON proposals (subject, created_at);
CREATE INDEX proposals_recent ON proposals (created_at DESC);

-- Polls created by staff; question and options are locale -> text maps.
CREATE TABLE polls (
    id          bigserial PRIMARY KEY,
    question    jsonb NOT NULL,
    options     jsonb NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    closes_at   timestamptz,
    closed_at   timestamptz
);

-- One vote per citizen and poll: the primary key makes a second vote count once.
CREATE TABLE poll_votes (
    poll_id     bigint NOT NULL REFERENCES polls (id),
    subject     text NOT NULL,
    option      integer NOT NULL CHECK (option >= 0),
    voted_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (poll_id, subject)
);
