// The alerts area: rules (defaults from devices/rules seeded into the database), the engine that
// evaluates them on the bus, a rule's dry run over the stored history (by the engine's decisions), the
// lifecycle operators act on, the work on an alert (assignment, notes, bulk acknowledgement, its
// timeline and context), and webhook notifications.
// Depends on the bus, the registry, the catalog and PostgreSQL; guarantees one active alert per
// (rule, device), every transition stored with who and when, and alerts that survive a restart.
import type { Catalog } from '../catalog/index.ts';
import type { EventBus } from '../events/bus.ts';
import type { Logger } from '../log.ts';
import { createOutboundPolicy } from '../net/outbound.ts';
import type { DeviceRegistry } from '../registry/index.ts';
import { createAlertContextQueries } from '../storage/alertContext.ts';
import { createAlertQueries } from '../storage/alerts.ts';
import { createAlertWorkQueries } from '../storage/alertWork.ts';
import type { BackgroundLane } from '../storage/backgroundLane.ts';
import { createNotificationQueries } from '../storage/notifications.ts';
import type { Pool } from '../storage/pool.ts';
import { createRuleHistoryQueries } from '../storage/ruleHistory.ts';
import { createUserQueries } from '../storage/users.ts';
import { createWebhookQueries } from '../storage/webhooks.ts';
import { createAqiTracker } from './aqiTracker.ts';
import { createAlertContext } from './context.ts';
import { createRuleDryRun, type DryRunLimits } from './dryRun.ts';
import { createAlertEngine } from './engine.ts';
import { createAlertLifecycle } from './lifecycle.ts';
import { loadDefaultRules } from './rules.ts';
import { buildTimeline } from './timeline.ts';
import { createWebhookNotifier } from './webhooks.ts';
import { createAlertWorkflow } from './workflow.ts';

/** The most notification deliveries one alert's timeline shows (a long escalation sends many). */
const timelineDeliveries = 500;

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
  /** Where a rule's dry run reads stored history, taking turns with the other heavy reads. */
  lane?: BackgroundLane;
  dryRunLimits?: Partial<DryRunLimits>;
}) {
  const clock = deps.clock ?? (() => new Date());
  const queries = createAlertQueries(deps.pool);
  const webhookQueries = createWebhookQueries(deps.pool);
  const lifecycle = createAlertLifecycle({ queries, bus: deps.bus, clock });
  const workflow = createAlertWorkflow({
    queries: createAlertWorkQueries(deps.pool),
    users: createUserQueries(deps.pool),
    bus: deps.bus,
    clock,
  });
  const context = createAlertContext({
    registry: deps.registry,
    queries: createAlertContextQueries(deps.pool),
    pool: deps.pool,
  });
  const dryRun = createRuleDryRun({
    queries: createRuleHistoryQueries(deps.pool),
    registry: deps.registry,
    catalog: deps.catalog,
    lane: deps.lane,
    clock,
    limits: deps.dryRunLimits,
  });
  // Read, never written, here: the notifications area owns its delivery log.
  const deliveries = createNotificationQueries(deps.pool).deliveries;
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
    workflow,
    context,
    /** What a rule would have done over the stored history (src/alerts/dryRun.ts). */
    dryRun,
    /** The alert's history in time order, with the notifications sent about it when `notifications`. */
    async timeline(alertId: number, options: { notifications: boolean }) {
      const [history, sent] = await Promise.all([
        queries.history(alertId),
        options.notifications ? deliveries.list({ alertId, limit: timelineDeliveries }) : [],
      ]);
      return buildTimeline(history, sent.reverse());
    },
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
