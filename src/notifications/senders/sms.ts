// SMS through an HTTP gateway. Two shapes:
//   - esms: eSMS's documented "SendMultipleMessage_V4_post_json" request, field for field (ApiKey,
//     SecretKey, Content, Phone, Brandname, SmsType, IsUnicode, Sandbox, RequestId); eSMS answers 200
//     with CodeResult "100" when it took the message and another code when it did not;
//   - generic: a JSON body an admin writes, whose strings may hold {{phone}}, {{text}} and
//     {{requestId}}, with the token secret in a header of their choice; any 2xx is success.
import { randomUUID } from 'node:crypto';
import type { OutboundPolicy } from '../../net/outbound.ts';
import { withoutDiacritics } from '../messages.ts';
import { EsmsSecrets, EsmsSettings, GenericSmsSecrets, GenericSmsSettings } from '../schemas.ts';
import { postJson } from './http.ts';
import { DeliveryError, type Sender } from './types.ts';

/** Replaces the placeholders inside every string of a JSON template (values, not raw text: no injection). */
export function fillTemplate(template: unknown, values: Record<string, string>): unknown {
  if (typeof template === 'string')
    return template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => values[name] ?? whole);
  if (Array.isArray(template)) return template.map((item) => fillTemplate(item, values));
  if (template && typeof template === 'object')
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fillTemplate(v, values)]));
  return template;
}

export function createSmsSender(policy: OutboundPolicy): Sender {
  return async (channel, phone, message) => {
    const requestId = randomUUID();
    if (channel.settings.provider === 'esms') {
      const settings = EsmsSettings.parse(channel.settings);
      const secrets = EsmsSecrets.parse(channel.secrets);
      const content = settings.unicode ? message.short : withoutDiacritics(message.short);
      const { json } = await postJson(
        policy,
        settings.url,
        {},
        JSON.stringify({
          ApiKey: secrets.apiKey,
          Content: content,
          Phone: phone,
          SecretKey: secrets.secret,
          Brandname: settings.brandname,
          SmsType: settings.smsType,
          IsUnicode: settings.unicode ? '1' : '0',
          Sandbox: settings.sandbox ? '1' : '0',
          RequestId: requestId,
        }),
      );
      const code = (json as { CodeResult?: unknown } | undefined)?.CodeResult;
      // 99 is eSMS's "unknown error": worth another try; every other code is a refusal that repeats.
      if (String(code) !== '100')
        throw new DeliveryError(`eSMS CodeResult ${String(code ?? 'missing')}`, String(code) === '99');
      return;
    }
    const settings = GenericSmsSettings.parse(channel.settings);
    const secrets = GenericSmsSecrets.parse(channel.secrets);
    const text = settings.unicode ? message.short : withoutDiacritics(message.short);
    const headers =
      settings.header && secrets.token ? { [settings.header.toLowerCase()]: secrets.token } : {};
    const body = fillTemplate(settings.body, { phone, text, requestId });
    await postJson(policy, settings.url, headers, JSON.stringify(body));
  };
}
