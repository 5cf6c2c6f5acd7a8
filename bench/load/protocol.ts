// Messages between bench/run.ts and its load processes (generator.ts, consoles.ts).
import type { HistogramData } from '../histogram.ts';

export type GeneratorCommand =
  | {
      type: 'connect';
      url: string;
      devices: Array<{ id: string; secret: string; topic: string }>;
      /** Connections opened at the same time. */
      parallel?: number;
    }
  | {
      type: 'run';
      qos: 0 | 1;
      /** Offered messages per second across all devices; 0: as many as the system accepts. */
      rate: number;
      seconds: number;
      /** QoS 1: messages a device may have unacknowledged. */
      window: number;
      /** Most messages published and not yet stored (told by `stored` messages) at any time. */
      cap: number;
    }
  | { type: 'stored'; messages: number }
  | { type: 'alarms'; count: number; intervalMs: number }
  | { type: 'disconnect' }
  | { type: 'exit' };

export interface RunStats {
  published: number;
  rows: number;
  acked: number;
  /** QoS 1 messages still unacknowledged when the generator gave up waiting. */
  unacked: number;
  disconnected: number;
  startedAt: number;
  endedAt: number;
  /** When everything written had left the process (and, QoS 1, was acknowledged). */
  flushedAt: number;
  ackLatency: HistogramData;
  cpuMs: number;
}

export type GeneratorReply =
  | { type: 'connected'; connected: number; refused: number; ms: number }
  | { type: 'ran'; stats: RunStats }
  | { type: 'alarmed'; sentAt: Record<string, number> }
  | { type: 'disconnected' };

export type ConsoleCommand =
  | {
      type: 'connect';
      url: string;
      token: string;
      subscriptions: Array<Record<string, unknown>>;
    }
  | { type: 'reset' }
  | { type: 'report' }
  | { type: 'exit' };

export type ConsoleReply =
  | { type: 'connected'; connected: number; ms: number }
  | { type: 'reset' }
  | {
      type: 'report';
      latency: HistogramData;
      batches: number;
      entries: number;
      disconnected: number;
      cpuMs: number;
    };

export type NullBrokerCommand = { type: 'listen' } | { type: 'start' } | { type: 'stop' } | { type: 'exit' };

export type NullBrokerReply =
  | { type: 'listening'; port: number }
  | { type: 'started' }
  /** Told every 50 ms while measuring: the generator's credit, as `stored` is for the system. */
  | { type: 'delivered'; delivered: number }
  | { type: 'stopped'; delivered: number; lastDeliveredAt: number; cpuMs: number };
