-- Ingest stamps every reporting device's last_seen every five seconds (one statement for the whole
-- fleet). With full pages each of those updates moved the row and wrote all three of the table's
-- indexes; with room on the page it is a HOT update in place. 10,000 devices: 160-240 ms a round at
-- fillfactor 100, 60-130 ms at 70 (scratch measurement, 2026-11-30). Pages already full take the
-- setting as their rows move; nothing needs rewriting.
ALTER TABLE devices SET (fillfactor = 70);
