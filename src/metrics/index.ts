// Prometheus metrics of one app instance. A registry per instance (not prom-client's global one), so
// two instances in one test process count separately.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Counts taken on the hot path (per MQTT message) as plain numbers, added to their prom-client counter
 * when it is collected: prom-client hashes and validates the labels and allocates on every inc(), even
 * through a bound labels() child.
 */
export class Tally {
  private readonly counts = new Map<string, number>();

  constructor(private readonly label?: string) {}

  add(labelValue: string, n = 1): void {
    this.counts.set(labelValue, (this.counts.get(labelValue) ?? 0) + n);
  }

  /** Hands the counts to the counter (its `collect` hook, so a scrape or get() sees them all). */
  collect(counter: Counter<string>): void {
    for (const [value, n] of this.counts) {
      if (this.label === undefined) counter.inc(n);
      else counter.inc({ [this.label]: value }, n);
    }
    this.counts.clear();
  }
}

export function createMetrics() {
  const registry = new Registry();
  // The writer's queue changes with every message: the gauge reads it when collected instead.
  let queueRowsNow = () => 0;
  // The live layer's window, read the same way.
  let liveCoalesceNow = () => 0;
  const mqttMessagesTally = new Tally('channel');
  const readingsAcceptedTally = new Tally();
  collectDefaultMetrics({ register: registry, prefix: 'ioc_process_' });
  const registers = [registry];
  /** A gauge that asks `read` for its value when it is collected, not one set on every change. */
  const gaugeReading = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  return {
    registry,
    mqttMessages: new Counter({
      name: 'ioc_mqtt_messages_total',
      help: 'MQTT messages received from devices, by channel',
      labelNames: ['channel'] as const,
      registers,
      collect() {
        mqttMessagesTally.collect(this);
      },
    }),
    /** Hot-path increments of mqttMessages, by channel. */
    mqttMessagesTally,
    mqttClients: new Gauge({ name: 'ioc_mqtt_clients', help: 'Connected MQTT clients', registers }),
    mqttAuthFailures: new Counter({
      name: 'ioc_mqtt_auth_failures_total',
      help: 'Refused MQTT connections and subscriptions, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    mqttRefused: new Counter({
      name: 'ioc_mqtt_refused_total',
      help: 'MQTT connections cut before authentication (caps, oversized or missing CONNECT, connect timeout), by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    readingsAccepted: new Counter({
      name: 'ioc_ingest_readings_total',
      help: 'Telemetry messages (array items count one each) accepted by ingest',
      registers,
      collect() {
        readingsAcceptedTally.collect(this);
      },
    }),
    /** Hot-path increments of readingsAccepted (label value ''). */
    readingsAcceptedTally,
    rowsStored: new Counter({
      name: 'ioc_ingest_rows_stored_total',
      help: 'Telemetry rows (one per metric) newly stored',
      registers,
    }),
    rowsDuplicate: new Counter({
      name: 'ioc_ingest_rows_duplicate_total',
      help: 'Telemetry rows already stored (redeliveries), not stored again',
      registers,
    }),
    batchesRewritten: new Counter({
      name: 'ioc_ingest_batches_rewritten_total',
      help: 'Telemetry batches written a second time with the conflict-aware statement because they held a message already stored',
      registers,
    }),
    deadLetters: new Counter({
      name: 'ioc_dead_letters_total',
      help: 'Refused MQTT messages (or parts of them), by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    deadLettersDropped: new Counter({
      name: 'ioc_dead_letters_dropped_total',
      help: 'Dead letters counted but not kept because their queue was full (a device flooding garbage)',
      registers,
    }),
    queueRows: gaugeReading('ioc_ingest_queue_rows', 'Rows waiting for the database', () => queueRowsNow()),
    /** Where queueRows reads the writer's queue from, when it is collected. */
    readQueueRowsFrom(source: () => number) {
      queueRowsNow = source;
    },
    liveCoalesceMs: gaugeReading(
      'ioc_live_coalesce_ms',
      'The window live telemetry to consoles is batched over now (LIVE_COALESCE_MS, wider while the server is saturated)',
      () => liveCoalesceNow(),
    ),
    /** Where liveCoalesceMs reads the live layer's window from, when it is collected. */
    readLiveCoalesceFrom(source: () => number) {
      liveCoalesceNow = source;
    },
    liveRefused: new Counter({
      name: 'ioc_live_refused_total',
      help: 'Live console requests refused: subscribes over the rate (subscribe_rate), a snapshot replaced by a newer subscribe before it was sent (snapshot_pending), connections over the per-user rate (connect_rate) or socket caps (sockets_user, sockets_total)',
      labelNames: ['reason'] as const,
      registers,
    }),
    liveDropped: new Counter({
      name: 'ioc_live_dropped_total',
      help: 'Live console sockets the server closed: unsent data over LIVE_SOCKET_BUFFER_BYTES or LIVE_BUFFER_TOTAL_BYTES (slow_reader, buffer_total), subscribes refused many times in a row (subscribe_flood), the session ended (session_ended), the role changed (role_changed)',
      labelNames: ['reason'] as const,
      registers,
    }),
    flushSeconds: new Histogram({
      name: 'ioc_ingest_flush_seconds',
      help: 'Time to write one batch to the database',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    ingestDegraded: new Gauge({
      name: 'ioc_ingest_degraded',
      help: '1 while ingest writes to the local journal (the database is failing or the journal is being replayed)',
      registers,
    }),
    journalBytes: new Gauge({
      name: 'ioc_ingest_journal_bytes',
      help: 'Bytes in the local ingest journal (acknowledged, not yet in the database); bounded by JOURNAL_MAX_BYTES',
      registers,
    }),
    journalFull: new Counter({
      name: 'ioc_ingest_journal_full_total',
      help: 'Writes that found the journal full and waited (publishers held back)',
      registers,
    }),
    journalReplayed: new Counter({
      name: 'ioc_ingest_journal_replayed_total',
      help: 'Journal records replayed into the database',
      registers,
    }),
    journalRefused: new Counter({
      name: 'ioc_ingest_journal_refused_total',
      help: 'Journal records the database refused as such on replay (kept as dead letters with the reason)',
      registers,
    }),
    messagesDropped: new Counter({
      name: 'ioc_ingest_dropped_total',
      help: 'QoS 0 writes dropped because every queue was full (overload)',
      registers,
    }),
    rateLimited: new Counter({
      name: 'ioc_ingest_rate_limited_total',
      help: 'MQTT messages over a rate limit: QoS 0 refused (scope=device), or delayed or dropped (scope=global)',
      labelNames: ['scope'] as const,
      registers,
    }),
    throttled: new Counter({
      name: 'ioc_ingest_throttled_total',
      help: 'QoS 1 messages of a device over its rate held back until their turn (their PUBACK waits; nothing refused)',
      registers,
    }),
    sharedLimitsDown: new Counter({
      name: 'ioc_limits_shared_unavailable_total',
      help: 'Times the limits shared between instances (Redis) could not be reached: this instance limited on its own meanwhile',
      labelNames: ['limit'] as const,
      registers,
    }),
    clusterRedisConnected: new Gauge({
      name: 'ioc_cluster_redis_connected',
      help: 'Several instances (REDIS_URL): 1 while this connection to Redis is up, 0 through an outage (ingest and own consoles go on; fan-out between instances waits)',
      labelNames: ['connection'] as const,
      registers,
    }),
    clusterRedisFailures: new Counter({
      name: 'ioc_cluster_redis_failures_total',
      help: 'Several instances (REDIS_URL): Redis calls that failed, by part (live fan-out, alert feed)',
      labelNames: ['part'] as const,
      registers,
    }),
    storageErrors: new Counter({
      name: 'ioc_storage_errors_total',
      help: 'Failed batch writes (retried)',
      registers,
    }),
    auditEntries: new Counter({
      name: 'ioc_audit_entries_total',
      help: 'Audit log entries (operator and admin actions, logins, refused accesses), by outcome',
      labelNames: ['outcome'] as const,
      registers,
    }),
    auditWriteFailures: new Counter({
      name: 'ioc_audit_write_failures_total',
      help: 'Audit entries that could not be stored (the database refused or was down)',
      registers,
    }),
    backupLastSuccess: new Gauge({
      name: 'ioc_backup_last_success_timestamp_seconds',
      help: 'When the newest good backup in BACKUP_DIR was written (Unix seconds; 0: none yet)',
      registers,
    }),
    backupLastBytes: new Gauge({
      name: 'ioc_backup_last_size_bytes',
      help: 'Size of the newest good backup',
      registers,
    }),
    backupLastSeconds: new Gauge({
      name: 'ioc_backup_last_duration_seconds',
      help: 'How long the last good backup took',
      registers,
    }),
    backupFailures: new Counter({
      name: 'ioc_backup_failures_total',
      help: 'Scheduled backups that failed (each also raises the IOC backup self-alert)',
      registers,
    }),
    loginRefused: new Counter({
      name: 'ioc_login_refused_total',
      help: 'Logins refused before their password was checked: over the address or global budget, hash queue full, account locked for the address, pair throttled',
      labelNames: ['reason'] as const,
      registers,
    }),
    httpRefused: new Counter({
      name: 'ioc_http_refused_total',
      help: 'HTTP requests refused as unauthenticated (401), forbidden (403), too large (413) or throttled (429)',
      labelNames: ['status'] as const,
      registers,
    }),
    openDataCacheBytes: new Gauge({
      name: 'ioc_open_data_cache_bytes',
      help: 'Bytes of rendered open-data pages held in memory (at most OPEN_DATA_CACHE_BYTES)',
      registers,
    }),
    openDataRequests: new Counter({
      name: 'ioc_open_data_requests_total',
      help: 'Open-data requests by how they were answered: hit (cache), shared (an identical read in flight), read (the database), busy (429)',
      labelNames: ['result'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
