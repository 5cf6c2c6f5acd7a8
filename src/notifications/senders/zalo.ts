// Zalo Official Account: a customer-service text message (API v3.0, POST /v3.0/oa/message/cs) with
// the OA's access token in the `access_token` header and the body
// {"recipient": {"user_id": ...}, "message": {"text": ...}} (at most 2,000 characters). Zalo answers
// 200 with {"error": 0, "message": "Success", "data": {...}}; a refusal is a non-zero `error` in a 200.
// Zalo lets an OA send such a message only to a follower who interacted with it recently (docs/notifications.md).
import type { OutboundPolicy } from '../../net/outbound.ts';
import { ZaloSecrets, ZaloSettings } from '../schemas.ts';
import { postJson } from './http.ts';
import { DeliveryError, type Sender } from './types.ts';

const maxText = 2_000;

export function createZaloSender(policy: OutboundPolicy): Sender {
  return async (channel, userId, message) => {
    const settings = ZaloSettings.parse(channel.settings);
    const secrets = ZaloSecrets.parse(channel.secrets);
    const text = message.text.length > maxText ? `${message.text.slice(0, maxText - 1)}…` : message.text;
    const { json } = await postJson(
      policy,
      settings.url,
      { access_token: secrets.accessToken },
      JSON.stringify({ recipient: { user_id: userId }, message: { text } }),
    );
    const error = (json as { error?: unknown } | undefined)?.error;
    if (error === 0) return;
    // -216: the access token is invalid or expired (they last about a day): an admin must renew it.
    const reason =
      error === -216
        ? 'Zalo error -216: the access token is invalid or expired; set a new one on the channel'
        : `Zalo error ${String(error ?? 'missing')}`;
    throw new DeliveryError(reason, false);
  };
}
