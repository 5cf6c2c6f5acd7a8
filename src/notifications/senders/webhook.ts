// A notification to a webhook: the same signed POST as the alert webhooks (src/alerts/webhooks.ts:
// X-IOC-Signature over `${timestamp}.${body}` with the channel's secret), through the same SSRF-safe
// path. The body is the message's payload: the event, the alert's wire shape and the step.
import { signature } from '../../alerts/webhooks.ts';
import type { OutboundPolicy } from '../../net/outbound.ts';
import { WebhookSecrets, WebhookSettings } from '../schemas.ts';
import { postJson } from './http.ts';
import type { Sender } from './types.ts';

export function createWebhookSender(policy: OutboundPolicy, clock: () => Date): Sender {
  return async (channel, _address, message) => {
    const settings = WebhookSettings.parse(channel.settings);
    const secrets = WebhookSecrets.parse(channel.secrets);
    const body = JSON.stringify(message.payload);
    const timestamp = String(Math.floor(clock().getTime() / 1000));
    await postJson(
      policy,
      settings.url,
      {
        'x-ioc-event': message.payload.event,
        'x-ioc-timestamp': timestamp,
        'x-ioc-signature': signature(secrets.secret, timestamp, body),
      },
      body,
    );
  };
}
