// Recipients as the delivery log shows them: enough to tell two people apart, not enough to collect
// their addresses from the API. A webhook shows its host only (a path or query may hold a token).
import type { ChannelType } from './schemas.ts';

const keep = (value: string, head: number, tail: number) =>
  value.length <= head + tail
    ? `${value.slice(0, 1)}***`
    : `${value.slice(0, head)}***${tail > 0 ? value.slice(-tail) : ''}`;

export function maskRecipient(type: ChannelType, address: string): string {
  if (type === 'email') {
    const at = address.lastIndexOf('@');
    return at <= 0 ? keep(address, 1, 0) : `${keep(address.slice(0, at), 2, 0)}@${address.slice(at + 1)}`;
  }
  if (type === 'sms') return keep(address, 3, 3);
  if (type === 'zalo') return keep(address, 4, 4);
  try {
    const url = new URL(address);
    return `${url.protocol}//${url.host}/…`;
  } catch {
    return '***';
  }
}
