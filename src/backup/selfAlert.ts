// The IOC's alerts about itself: raised and resolved through the same lifecycle as a device's, so they
// reach the console, the webhooks and whoever is notified, with the rule's bilingual message. Their
// rule is a default of type 'system' (devices/rules/defaults.json); an admin may disable it.
import type { AlertLifecycle } from '../alerts/lifecycle.ts';
import { renderMessage } from '../alerts/rules.ts';
import type { AlertQueries } from '../storage/alerts.ts';

/** The IOC as the "device" of its own alerts. */
export const iocItself = { id: 'ioc', kind: 'system', city: 'ioc', ward: 'ioc' } as const;

export interface Problem {
  vi: string;
  en: string;
  value?: number;
  details?: Record<string, unknown>;
}

export function createSelfAlert(deps: { key: string; queries: AlertQueries; lifecycle: AlertLifecycle }) {
  const rule = async () => (await deps.queries.rules()).find((r) => r.key === deps.key && r.enabled);
  return {
    /** Opens the alert, or counts a repeat of the open one. */
    async raise(problem: Problem, at = new Date()): Promise<void> {
      const r = await rule();
      if (!r) return;
      await deps.lifecycle.open({
        rule: r,
        device: iocItself,
        messageVi: renderMessage(r.messageVi, { reason_vi: problem.vi }),
        messageEn: renderMessage(r.messageEn, { reason_en: problem.en }),
        value: problem.value ?? null,
        details: problem.details ?? {},
        at,
        repeats: 1,
      });
    },
    async clear(note: string): Promise<void> {
      const r = await rule();
      if (r) await deps.lifecycle.resolveActive(r, iocItself.id, note);
    },
  };
}

export type SelfAlert = ReturnType<typeof createSelfAlert>;
