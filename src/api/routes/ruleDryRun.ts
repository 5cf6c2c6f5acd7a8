// "What would this rule have done": a rule's form (unsaved), or a saved rule with changes, replayed
// over the stored history of the last hours (src/alerts/dryRun.ts). Nothing is written; admins only,
// as it is part of editing rules and reads a day of a scope's readings.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DryRunResult } from '../../alerts/dryRun.ts';
import type { Alerts } from '../../alerts/index.ts';
import { type Rule, RuleInput, ruleOf, typedRule } from '../../alerts/rules.ts';
import type { Catalog } from '../../catalog/index.ts';
import { checkRuleKind } from '../../profiles/rules.ts';
import { ErrorBody } from '../schemas.ts';
import { bilingualValidation, mergeRule, RuleChanges } from './ruleForms.ts';

const DryRunQuery = z.object({
  hours: z.coerce
    .number()
    .int()
    .min(1)
    .max(168)
    .default(24)
    .describe('số giờ gần nhất (tối đa 168) / the last hours (at most 168)'),
  first: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(20)
    .describe('số cảnh báo đầu tiên nêu cho mỗi thiết bị / alerts listed per device'),
});

const DryRunBody = z
  .object({
    ruleId: z.number().nullable().describe('quy tắc đã lưu, nếu có / the saved rule, if any'),
    from: z.string(),
    to: z.string(),
    hours: z.number(),
    devices: z.number().describe('thiết bị trong phạm vi / devices in scope'),
    readings: z.number(),
    statusChanges: z.number(),
    events: z.number(),
    alerts: z.number().describe('số cảnh báo sẽ mở / alerts it would have opened'),
    complete: z.boolean(),
    stoppedBy: z
      .enum(['readings', 'timeout', 'cancelled'])
      .nullable()
      .describe('vì sao dừng sớm / why it stopped early'),
    elapsedMs: z.number(),
    items: z.array(
      z.object({
        deviceId: z.string(),
        name: z.string(),
        alerts: z.number(),
        episodes: z.array(
          z.object({
            openedAt: z.string(),
            clearedAt: z.string().nullable(),
            value: z.number().nullable(),
            repeats: z.number(),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'RuleDryRun', description: 'Những gì quy tắc sẽ làm / What the rule would have done' });

const answer = (ruleId: number | null, hours: number, result: DryRunResult) => ({
  ruleId,
  ...result,
  hours,
  from: result.from.toISOString(),
  to: result.to.toISOString(),
  items: result.items.map((d) => ({
    ...d,
    episodes: d.episodes.map((e) => ({
      ...e,
      openedAt: e.openedAt.toISOString(),
      clearedAt: e.clearedAt ? e.clearedAt.toISOString() : null,
    })),
  })),
});

const description =
  'Chạy quy tắc trên số đo, trạng thái và sự kiện đã lưu theo thứ tự thời gian, bằng chính logic của bộ cảnh báo, không ghi gì; ' +
  'có giới hạn thiết bị, số đo và thời gian. / Runs the rule over the stored readings, status changes and events in time order, ' +
  'through the alert engine’s own decisions, writing nothing; bounded in devices, readings and time.';

export function ruleDryRunRoutes(
  fastify: FastifyInstance,
  opts: { alerts: Alerts; catalog: Catalog; stored: (id: number) => Promise<Rule> },
) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

  /** Runs until done, the deadline, or the caller hanging up. */
  async function run(rule: Rule, query: z.infer<typeof DryRunQuery>, raw: ServerResponse) {
    const gone = new AbortController();
    const onClose = () => {
      if (!raw.writableFinished) gone.abort();
    };
    raw.on('close', onClose);
    return opts.alerts.dryRun.run(typedRule(rule), { ...query, signal: gone.signal });
  }

  app.post(
    '/rules/dry-run',
    {
      config: { role: 'admin' },
      validatorCompiler: bilingualValidation,
      schema: {
        operationId: 'dryRunRule',
        summary: 'Chạy thử quy tắc chưa lưu / Dry-run an unsaved rule',
        description,
        tags: ['rules'],
        querystring: DryRunQuery,
        body: RuleInput,
        response: { 200: DryRunBody, ...errors },
      },
    },
    async (request, reply) => {
      checkRuleKind(opts.catalog, request.body);
      const result = await run(ruleOf(request.body), request.query, reply.raw);
      return answer(null, request.query.hours, result);
    },
  );

  app.post(
    '/rules/:id/dry-run',
    {
      config: { role: 'admin' },
      validatorCompiler: bilingualValidation,
      schema: {
        operationId: 'dryRunSavedRule',
        summary: 'Chạy thử quy tắc đã lưu, có thể kèm thay đổi / Dry-run a saved rule, with optional changes',
        description,
        tags: ['rules'],
        params: z.object({ id: z.coerce.number().int().positive() }),
        querystring: DryRunQuery,
        body: RuleChanges.optional(),
        response: { 200: DryRunBody, ...errors },
      },
    },
    async (request, reply) => {
      const current = await opts.stored(request.params.id);
      const changes = request.body ?? {};
      const rule =
        Object.keys(changes).length > 0
          ? { ...ruleOf(mergeRule(current, changes)), id: current.id }
          : current;
      checkRuleKind(opts.catalog, { kind: rule.kind ?? undefined, metric: rule.metric ?? undefined });
      const result = await run(rule, request.query, reply.raw);
      return answer(current.id, request.query.hours, result);
    },
  );
}
