// What every channel's sender shares: the message it is given and the one way it reports a failure,
// transient (try again later) or not, in words that name no secret and no internal address.
import type { ChannelRow } from '../../storage/notifications.ts';
import type { Message } from '../messages.ts';

export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    /** Kept in the delivery log an admin reads: no secret, no address of the network behind. */
    readonly reason: string,
    /** Worth another attempt (the server is down or busy), as against refused for good. */
    readonly transient: boolean,
  ) {
    super(reason);
  }
}

export type Sender = (channel: ChannelRow, address: string, message: Message) => Promise<void>;

/** HTTP statuses worth trying again: the gateway is busy, down or timed out. */
export const isTransientStatus = (status: number) => status === 408 || status === 429 || status >= 500;
