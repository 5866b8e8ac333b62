-- How far the conformance hooks have moved a manual clock, kept so that a restarted server
-- with hooks on carries on from there instead of jumping back in time.
CREATE TABLE clock_offset (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    offset_ms INTEGER NOT NULL
);
