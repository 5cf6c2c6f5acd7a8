// The alerts area: rules (defaults from devices/rules seeded into the database), the engine that
// evaluates them on the bus, the lifecycle operators act on, and webhook notifications.
// Depends on the bus, the registry, the catalog and PostgreSQL; guarantees one active alert per
// (rule, device), every transition stored with who and when, and alerts that survive a restart.
import type { Catalog } from '../catalog/index.ts';
import type { EventBus } from '../events/bus.ts';
import type { Logger } from '../log.ts';
import { createOutboundPolicy } from '../net/outbound.ts';
import type { DeviceRegistry } from '../registry/index.ts';
import { createAlertQueries } from '../storage/alerts.ts';
import type { Pool } from '../storage/pool.ts';
import { createWebhookQueries } from '../storage/webhooks.ts';
import { createAqiTracker } from './aqiTracker.ts';
import { createAlertEngine } from './engine.ts';
import { createAlertLifecycle } from './lifecycle.ts';
import { loadDefaultRules } from './rules.ts';
import { createWebhookNotifier } from './webhooks.ts';

export function createAlerts(deps: {
  pool: Pool;
  bus: EventBus;
  registry: DeviceRegistry;
  catalog: Catalog;
  log: Logger;
  clock?: () => Date;
  sweepMs?: number;
  /** Several instances: the events the engine evaluates (every instance's), fed to the leader only. */
  input?: EventBus;
  /** Internal hosts, addresses and CIDR ranges webhooks may reach (WEBHOOK_ALLOWED_HOSTS). */
  webhookAllowedHosts?: readonly string[];
}) {
  const clock = deps.clock ?? (() => new Date());
  const queries = createAlertQueries(deps.pool);
  const webhookQueries = createWebhookQueries(deps.pool);
  const lifecycle = createAlertLifecycle({ queries, bus: deps.bus, clock });
  // A fresh engine each time evaluation starts: a new alert leader rebuilds its state from the database.
  const createEngine = () => {
    const aqi = createAqiTracker();
    const engine = createAlertEngine({
      bus: deps.bus,
      input: deps.input,
      registry: deps.registry,
      catalog: deps.catalog,
      queries,
      lifecycle,
      aqi,
      log: deps.log,
      clock,
      sweepMs: deps.sweepMs ?? 10_000,
    });
    return { aqi, engine };
  };
  let { aqi, engine } = createEngine();
  let evaluating = false;
  const outboundPolicy = createOutboundPolicy(deps.webhookAllowedHosts);
  const webhooks = createWebhookNotifier({
    queries: webhookQueries,
    bus: deps.bus,
    log: deps.log,
    clock,
    policy: outboundPolicy,
  });

  async function startEvaluating() {
    if (evaluating) return;
    evaluating = true;
    ({ aqi, engine } = createEngine());
    // NowCast needs the last hours: rebuild the stations' hourly means from stored telemetry.
    const thisHour = Math.floor(clock().getTime() / 3_600_000) * 3_600_000;
    const rows = await queries.pollutantHourlyMeans(new Date(thisHour - 12 * 3_600_000));
    aqi.seed(rows.filter((r) => r.hour.getTime() < thisHour));
    await engine.start();
  }

  async function stopEvaluating() {
    if (!evaluating) return;
    evaluating = false;
    await engine.stop();
  }

  return {
    queries,
    webhookQueries,
    /** Where webhooks may point: the routes refuse at creation what is known to be internal. */
    outboundPolicy,
    lifecycle,
    /** The running engine (a new one each time this instance starts evaluating). */
    get engine() {
      return engine;
    },
    webhooks,
    /** `evaluate: false` with several instances: only the alert leader evaluates (startEvaluating). */
    async start(options: { evaluate?: boolean } = {}) {
      const added = await queries.seedRules(loadDefaultRules());
      if (added > 0) deps.log.info({ added }, 'default alert rules seeded');
      if (options.evaluate ?? true) await startEvaluating();
      webhooks.start();
    },
    startEvaluating,
    stopEvaluating,
    isEvaluating: () => evaluating,
    async stop() {
      await stopEvaluating();
      await webhooks.stop();
    },
  };
}

export type Alerts = ReturnType<typeof createAlerts>;
