-- The work queue: events recorded (Record) and not yet evaluated. Workers
-- claim rows with a lease; Complete deletes the row in the transaction
-- that stores the result. A claim whose lease ran out (its replica died)
-- may be claimed again.
CREATE TABLE work_queue (
  event_id       TEXT    PRIMARY KEY,
  enqueued_ns    BIGINT  NOT NULL,
  owner          TEXT    NOT NULL DEFAULT '', -- the worker holding the claim; '' when free
  lease_until_ns BIGINT  NOT NULL DEFAULT 0,  -- the claim is void after this time
  attempts       INTEGER NOT NULL DEFAULT 0   -- claims so far
);
CREATE INDEX work_queue_order ON work_queue (enqueued_ns, event_id);

-- Events left pending by earlier versions are work too.
INSERT INTO work_queue (event_id, enqueued_ns) SELECT id, received_ns FROM events WHERE evaluated_ns IS NULL;
