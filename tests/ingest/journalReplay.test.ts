// A journal left by a crash holds a record the database refuses: it was acknowledged to its device,
// so the replay keeps it as a dead letter with the database's reason and counts it, and the records
// around it are stored. Real journal files, real PostgreSQL, the whole app starting on them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createJournal } from '../../src/ingest/journal.ts';
import { encodeRequest } from '../../src/ingest/journalRecords.ts';
import { startTestApp } from '../helpers/app.ts';
import { eventually } from '../helpers/mqtt.ts';

describe('the journal replay', () => {
  it('keeps a record the database refuses as a STORAGE_FAILED dead letter, counted, and stores the others', {
    timeout: 60_000,
  }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ioc-replay-'));
    const journal = createJournal({ dir: join(dataDir, 'journal'), maxBytes: 1_048_576 });
    await journal.open();
    const time = new Date(Date.now() - 60_000);
    const event = (type: string | null) =>
      encodeRequest({
        event: { deviceId: 'tn-replay-env-1', time, type: type as string, data: {}, receivedAt: time },
      });
    // type is NOT NULL in device_events: the database refuses the middle record whatever it is retried.
    await Promise.all([
      journal.append(event('door_open')),
      journal.append(event(null)),
      journal.append(event('tamper')),
    ]);
    await journal.close();
    const app = await startTestApp({ DATA_DIR: dataDir });
    try {
      const letters = await eventually(
        async () =>
          (
            await app.pool.query<{ reason: string; message: string; topic: string }>(
              "SELECT reason, message, topic FROM dead_letters WHERE device_id = 'tn-replay-env-1'",
            )
          ).rows,
        (rows) => rows.length > 0,
        20_000,
      );
      expect(letters).toHaveLength(1);
      expect(letters[0]!.reason).toBe('STORAGE_FAILED');
      expect(letters[0]!.topic).toBe('(journal replay)');
      expect(letters[0]!.message).toMatch(/refused this journal record on replay \(.*null.*\)/);
      // The dead letter is written as soon as the record is refused; the record after it is stored next.
      const stored = await eventually(
        async () =>
          (
            await app.pool.query<{ type: string }>(
              "SELECT type FROM device_events WHERE device_id = 'tn-replay-env-1' ORDER BY type",
            )
          ).rows.map((r) => r.type),
        (types) => types.length >= 2,
        20_000,
      );
      expect(stored).toEqual(['door_open', 'tamper']);
      const metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/^ioc_ingest_journal_refused_total 1$/m);
    } finally {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
