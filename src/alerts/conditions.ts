// The pure decisions of threshold rules: is the condition met, has it cleared (hysteresis), has it
// held long enough. Kept apart from the engine so they can be tested value by value.
import type { Rule } from './rules.ts';

export function conditionMet(
  comparison: NonNullable<Rule['comparison']>,
  value: number,
  threshold: number,
): boolean {
  switch (comparison) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '=':
      return value === threshold;
  }
}

/**
 * Whether an active alert clears at this value. Without a clear value, as soon as the condition no
 * longer holds; with one, only once the value is past it on the far side (`> 70, clear 67`: at 66.9),
 * so a signal hovering around the threshold does not open and close an alert every reading.
 */
export function conditionCleared(
  rule: Pick<Rule, 'comparison' | 'threshold' | 'clearValue'>,
  value: number,
): boolean {
  const { comparison, threshold, clearValue } = rule;
  if (comparison === null || threshold === null) return true;
  if (clearValue === null) return !conditionMet(comparison, value, threshold);
  switch (comparison) {
    case '>':
    case '>=':
      return value < clearValue;
    case '<':
    case '<=':
      return value > clearValue;
    case '=':
      return value !== threshold;
  }
}
