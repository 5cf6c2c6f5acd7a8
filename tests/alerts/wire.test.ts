// The alert's wire shapes: one function from the stored record, the same fields on every surface, the
// public subset without what only operators need, and the way back for an alert relayed by another
// instance.
import { describe, expect, it } from 'vitest';
import {
  AlertEventWire,
  AlertWire,
  alertActions,
  alertEventWire,
  alertFromWire,
  alertWire,
  PublicAlertWire,
  publicAlertWire,
} from '../../src/alerts/wire.ts';
import type { AlertRecord } from '../../src/storage/alerts.ts';

const open: AlertRecord = {
  id: 4182,
  ruleId: 1,
  ruleName: 'Báo cháy / Fire alarm',
  deviceId: 'ha-ma-fire-0006',
  kind: 'fire',
  city: 'hoi-an',
  ward: 'phuong-hoi-an',
  severity: 'critical',
  state: 'open',
  messageVi: 'Báo cháy tại Cảm biến cháy – Nguyễn Thái Học (Phường Hội An)',
  messageEn: 'Fire alarm at Fire sensor – Nguyễn Thái Học (Phường Hội An)',
  value: 1,
  details: {},
  count: 1,
  openedAt: new Date('2026-11-29T07:02:11.000Z'),
  lastSeenAt: new Date('2026-11-29T07:02:11.000Z'),
  acknowledgedAt: null,
  acknowledgedBy: null,
  resolvedAt: null,
  resolvedBy: null,
  assignee: null,
  assignedAt: null,
};
const resolved: AlertRecord = {
  ...open,
  state: 'resolved',
  value: null,
  details: { event: { button: 2 } },
  count: 3,
  lastSeenAt: new Date('2026-11-29T07:02:31.000Z'),
  acknowledgedAt: new Date('2026-11-29T07:02:40.000Z'),
  acknowledgedBy: 'operator',
  resolvedAt: new Date('2026-11-29T07:30:00.000Z'),
  resolvedBy: 'operator',
  assignee: 'operator',
  assignedAt: new Date('2026-11-29T07:02:35.000Z'),
};

describe('alert wire shape', () => {
  it.each([
    ['open', open],
    ['resolved', resolved],
  ])('writes a %s alert with a bilingual message and ISO times, and reads it back unchanged', (_, record) => {
    const wire = alertWire(record);
    expect(AlertWire.parse(wire)).toEqual(wire);
    expect(wire.message).toEqual({ vi: record.messageVi, en: record.messageEn });
    expect(wire).not.toHaveProperty('messageVi');
    expect(wire.openedAt).toBe(record.openedAt.toISOString());
    expect(wire.resolvedAt).toBe(record.resolvedAt?.toISOString() ?? null);
    // What a relaying instance sends is what the receiving one rebuilds, through JSON.
    expect(alertFromWire(JSON.parse(JSON.stringify(wire)))).toEqual(record);
  });

  it('leaves out of the public shape what only operators need, and adds the ward name', () => {
    const {
      details: _d,
      lastSeenAt: _l,
      acknowledgedBy: _a,
      resolvedBy: _r,
      assignee: _s,
      assignedAt: _t,
      ...source
    } = resolved;
    const shown = publicAlertWire(source, 'Phường Hội An');
    expect(PublicAlertWire.parse(shown)).toEqual(shown);
    const { details, lastSeenAt, acknowledgedBy, resolvedBy, assignee, assignedAt, ...operators } =
      alertWire(resolved);
    expect(shown).toEqual({ ...operators, wardName: 'Phường Hội An' });
    expect(Object.keys(shown)).not.toContain('details');
  });

  it('wraps every transition in one versioned envelope whose event names its action', () => {
    for (const action of alertActions) {
      const envelope = alertEventWire(action, open);
      expect(AlertEventWire.parse(envelope)).toEqual(envelope);
      expect(envelope).toEqual({ version: 1, event: `alert.${action}`, action, alert: alertWire(open) });
    }
  });
});
