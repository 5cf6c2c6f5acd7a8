// An alert rule names a kind and a metric by id; both must exist in the device profiles when the rule
// is written, or the rule would never fire and nobody would know why.
import type { Catalog } from '../catalog/index.ts';
import { profileError, texts } from './texts.ts';

export function checkRuleKind(
  catalog: Pick<Catalog, 'kinds'>,
  rule: { kind?: string; metric?: string },
): void {
  if (rule.kind === undefined) return;
  const kind = catalog.kinds.get(rule.kind);
  if (!kind)
    throw profileError('VALIDATION_FAILED', texts.unknownProfile(rule.kind, [...catalog.kinds.keys()]), {
      kind: rule.kind,
    });
  if (rule.metric !== undefined && !Object.hasOwn(kind.metrics, rule.metric))
    throw profileError(
      'VALIDATION_FAILED',
      texts.noSuchMetric(rule.kind, rule.metric, Object.keys(kind.metrics)),
      { kind: rule.kind, metric: rule.metric },
    );
}
