// JSON over POST to an admin-given URL, through the SSRF-safe outbound path (src/net/outbound.ts):
// the same policy, allow-list and refusal words as webhooks. Redirects are not followed.
import { OutboundError, type OutboundPolicy, postOutbound } from '../../net/outbound.ts';
import { DeliveryError, isTransientStatus } from './types.ts';

const timeoutMs = 10_000;

/** Posts `body` (JSON text, as signed) and gives the answer's status and parsed JSON (undefined if none). */
export async function postJson(
  policy: OutboundPolicy,
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; json: unknown }> {
  let answer: Awaited<ReturnType<typeof postOutbound>>;
  try {
    answer = await postOutbound(policy, url, {
      headers: { 'content-type': 'application/json', 'user-agent': 'city-ioc-notifications/1', ...headers },
      body,
      timeoutMs,
      answerBytes: 16_384,
    });
  } catch (error) {
    if (error instanceof OutboundError) throw new DeliveryError(error.reason, error.reason === 'unreachable');
    throw new DeliveryError('unreachable', true);
  }
  if (answer.status >= 300 && answer.status < 400)
    throw new DeliveryError(`HTTP ${answer.status} (redirects are not followed)`, false);
  if (answer.status < 200 || answer.status >= 300)
    throw new DeliveryError(`HTTP ${answer.status}`, isTransientStatus(answer.status));
  let json: unknown;
  try {
    json = JSON.parse(answer.body ?? '');
  } catch {
    json = undefined;
  }
  return { status: answer.status, json };
}
