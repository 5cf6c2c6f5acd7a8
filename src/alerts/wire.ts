// An alert as every surface sends it: the REST API, the live console, webhooks, the cluster relay and
// (less what only operators need) the open-data feed. One schema, so the OpenAPI document and the
// answers cannot drift apart, and one function from the stored record, so a field added to the record
// reaches every surface the same way. Shapes and examples: docs/wire-shapes.md.
import { z } from 'zod';
import type { AlertRecord, AlertState } from '../storage/alerts.ts';
import type { AlertNote } from '../storage/alertWork.ts';
import { severities } from './rules.ts';

export const alertStates = ['open', 'acknowledged', 'resolved'] as const satisfies readonly AlertState[];
/**
 * What happened to an alert. `assigned`, `unassigned` and `noted` are work on it, not a change of its
 * state; `noted` reaches consoles but not webhooks (a note is the control room's own working text).
 */
export const alertActions = [
  'opened',
  'acknowledged',
  'resolved',
  'assigned',
  'unassigned',
  'noted',
] as const;
export type AlertAction = (typeof alertActions)[number];

export const AlertWire = z.object({
  id: z.number(),
  ruleId: z.number(),
  ruleName: z.string(),
  deviceId: z.string(),
  kind: z.string(),
  city: z.string(),
  ward: z.string(),
  severity: z.enum(severities),
  state: z.enum(alertStates),
  message: z.object({ vi: z.string(), en: z.string() }),
  value: z.number().nullable(),
  details: z.record(z.string(), z.unknown()),
  count: z.number().describe('how many times the condition was seen while this alert was active'),
  openedAt: z.string(),
  lastSeenAt: z.string(),
  acknowledgedAt: z.string().nullable(),
  acknowledgedBy: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  assignee: z.string().nullable().describe('the user working the alert; kept once it is resolved'),
  assignedAt: z.string().nullable(),
});
export type AlertWire = z.infer<typeof AlertWire>;

/** What only operators need: left out where the public reads alerts. */
const operatorOnly = {
  details: true,
  lastSeenAt: true,
  acknowledgedBy: true,
  resolvedBy: true,
  assignee: true,
  assignedAt: true,
} as const;

/** An alert as the open-data feed sends it: the alert less what only operators need, plus the ward's name. */
export const PublicAlertWire = AlertWire.omit(operatorOnly).extend({ wardName: z.string() });
export type PublicAlertWire = z.infer<typeof PublicAlertWire>;

/** The stored fields the public shape is made of (what the feed's query reads). */
export type PublicAlertSource = Omit<AlertRecord, keyof typeof operatorOnly>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function publicFields(a: PublicAlertSource): Omit<PublicAlertWire, 'wardName'> {
  return {
    id: a.id,
    ruleId: a.ruleId,
    ruleName: a.ruleName,
    deviceId: a.deviceId,
    kind: a.kind,
    city: a.city,
    ward: a.ward,
    severity: a.severity,
    state: a.state,
    message: { vi: a.messageVi, en: a.messageEn },
    value: a.value,
    count: a.count,
    openedAt: a.openedAt.toISOString(),
    acknowledgedAt: iso(a.acknowledgedAt),
    resolvedAt: iso(a.resolvedAt),
  };
}

/** The alert as REST, live, webhooks and the cluster relay send it. */
export function alertWire(a: AlertRecord): AlertWire {
  return {
    ...publicFields(a),
    details: a.details,
    lastSeenAt: a.lastSeenAt.toISOString(),
    acknowledgedBy: a.acknowledgedBy,
    resolvedBy: a.resolvedBy,
    assignee: a.assignee,
    assignedAt: iso(a.assignedAt),
  };
}

/** The alert as the open-data feed sends it. */
export function publicAlertWire(a: PublicAlertSource, wardName: string): PublicAlertWire {
  return { ...publicFields(a), wardName };
}

/** The stored record back from its wire shape (an alert relayed by another instance). */
export function alertFromWire(w: AlertWire): AlertRecord {
  const date = (s: string | null) => (s === null ? null : new Date(s));
  return {
    id: w.id,
    ruleId: w.ruleId,
    ruleName: w.ruleName,
    deviceId: w.deviceId,
    kind: w.kind,
    city: w.city,
    ward: w.ward,
    severity: w.severity,
    state: w.state,
    messageVi: w.message.vi,
    messageEn: w.message.en,
    value: w.value,
    details: w.details,
    count: w.count,
    openedAt: new Date(w.openedAt),
    lastSeenAt: new Date(w.lastSeenAt),
    acknowledgedAt: date(w.acknowledgedAt),
    acknowledgedBy: w.acknowledgedBy,
    resolvedAt: date(w.resolvedAt),
    resolvedBy: w.resolvedBy,
    assignee: w.assignee,
    assignedAt: date(w.assignedAt),
  };
}

/** A note as the timeline and the `alert.noted` envelope carry it. */
export const AlertNoteWire = z.object({ at: z.string(), author: z.string(), text: z.string() });
export type AlertNoteWire = z.infer<typeof AlertNoteWire>;

/**
 * The envelope of an alert transition, the same in a webhook's body and a console's `alert` event.
 * `version` changes only when a field is removed or changes meaning; added fields (and actions) keep
 * it. `event` (what webhook receivers route on, also in the X-IOC-Event header) is `alert.` + `action`
 * (what consoles read). `note` comes with `noted` only.
 */
export const alertEventVersion = 1;
export const AlertEventWire = z.object({
  version: z.literal(alertEventVersion),
  event: z.enum(alertActions.map((a) => `alert.${a}` as const) as [`alert.${AlertAction}`]),
  action: z.enum(alertActions),
  alert: AlertWire,
  note: AlertNoteWire.optional(),
});
export type AlertEventWire = z.infer<typeof AlertEventWire>;

export function alertEventWire(action: AlertAction, alert: AlertRecord, note?: AlertNote): AlertEventWire {
  const envelope: AlertEventWire = {
    version: alertEventVersion,
    event: `alert.${action}`,
    action,
    alert: alertWire(alert),
  };
  if (note) envelope.note = noteWire(note);
  return envelope;
}

export const noteWire = (n: AlertNote): AlertNoteWire => ({
  at: n.at.toISOString(),
  author: n.author,
  text: n.text,
});

export const noteFromWire = (n: AlertNoteWire): AlertNote => ({ ...n, at: new Date(n.at) });
