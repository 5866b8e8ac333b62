-- The manual clock's time itself (conformance hooks only), shared by every server instance on
-- this store: a move through one instance's hook is seen by the others, and a restarted
-- instance carries on from it. Replaces the per-process offset of 0007, which could not be
-- shared (each instance started its manual clock at its own moment).
CREATE TABLE manual_clock (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    now_ms INTEGER NOT NULL
);
DROP TABLE clock_offset;
