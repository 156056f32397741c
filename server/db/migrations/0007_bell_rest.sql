-- The Bosingak bell rests between strokes whichever node a ringer is on: the time of an
-- event's last stroke is kept with the event, and a stroke is taken only if the bell has
-- rested since (server/bell.py).
ALTER TABLE festival_events ADD COLUMN last_stroke_at timestamptz;
