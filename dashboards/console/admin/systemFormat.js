// Sizes as a person reads them, in the reader's number format (1,2 GB in Vietnamese, 1.2 GB in English).
import { formatNumber } from '../i18n.js';

// Decimal units (1 GB = 1,000,000,000 bytes), as disk makers and most people count.
const units = ['B', 'kB', 'MB', 'GB', 'TB'];

export function formatBytes(bytes) {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return '';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${formatNumber(value, unit === 0 ? 0 : 1)} ${units[unit]}`;
}
