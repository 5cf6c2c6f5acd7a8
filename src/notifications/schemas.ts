// The shapes an admin writes (channels, contacts, on-call schedules, escalation policies), parsed by
// zod at the API and again when a row is read back for sending. Secrets sit apart from settings in
// every channel so the API can show a channel without them and a log line can never carry them.
import { z } from 'zod';
import { severities } from '../alerts/rules.ts';
import { CityId } from '../catalog/schema.ts';

const hhmm = z
  .string()
  .max(5)
  .regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'HH:MM, local time (Asia/Ho_Chi_Minh)');
const text = (max: number) => z.string().min(1).max(max);
const secret = z.string().min(1).max(4_096);
const httpUrl = z.string().max(2_048).url();

/** eSMS's documented endpoint for one customer-care (brandname) SMS, JSON over POST. */
export const esmsUrl = 'https://rest.esms.vn/MainService.svc/json/SendMultipleMessage_V4_post_json/';
/** Zalo Official Account API v3.0: a customer-service ("tư vấn") text message. */
export const zaloCsUrl = 'https://openapi.zalo.me/v3.0/oa/message/cs';

export const EmailSettings = z
  .object({
    host: text(253).optional().describe('SMTP server; unset: NOTIFY_SMTP_HOST'),
    port: z.number().int().min(1).max(65_535).optional(),
    secure: z.boolean().optional().describe('TLS from the first byte (port 465); false: STARTTLS'),
    requireTls: z.boolean().optional().describe('refuse to send when the server offers no STARTTLS'),
    username: text(320).optional(),
    from: text(320).optional().describe('sender address; unset: NOTIFY_EMAIL_FROM'),
  })
  .strict();
export const EmailSecrets = z.object({ password: secret.optional() }).strict();

export const EsmsSettings = z
  .object({
    provider: z.literal('esms'),
    url: httpUrl.default(esmsUrl),
    brandname: text(11).describe('the registered sender name'),
    smsType: z.enum(['2', '8']).default('2').describe('2: brandname customer care; 8: fixed number'),
    unicode: z.boolean().default(false).describe('false: Vietnamese without diacritics (one SMS holds more)'),
    sandbox: z.boolean().default(false),
  })
  .strict();
// Each SMS provider's secrets carry the provider's name as their title: the schema says which secrets go
// with which settings, so the console's form shows an eSMS channel's keys and a gateway's token apart.
export const EsmsSecrets = z.object({ apiKey: secret, secret }).strict().meta({ title: 'esms' });

export const GenericSmsSettings = z
  .object({
    provider: z.literal('generic'),
    url: httpUrl,
    /** The header that carries the token secret, e.g. authorization. */
    header: z
      .string()
      .max(64)
      .regex(/^[A-Za-z0-9-]{1,64}$/)
      .optional(),
    /** JSON body; strings may hold {{phone}}, {{text}} and {{requestId}}. */
    body: z.record(z.string(), z.unknown()),
    unicode: z.boolean().default(true),
  })
  .strict();
export const GenericSmsSecrets = z.object({ token: secret.optional() }).strict().meta({ title: 'generic' });

export const ZaloSettings = z.object({ url: httpUrl.default(zaloCsUrl) }).strict();
export const ZaloSecrets = z.object({ accessToken: secret }).strict();

export const WebhookSettings = z.object({ url: httpUrl }).strict();
export const WebhookSecrets = z
  .object({ secret: z.string().min(16, 'at least 16 characters: it signs every delivery').max(256) })
  .strict();

export const channelTypes = ['email', 'sms', 'zalo', 'webhook'] as const;
export type ChannelType = (typeof channelTypes)[number];

const base = { name: text(200), enabled: z.boolean().default(true) };
export const ChannelInput = z.discriminatedUnion('type', [
  z
    .object({
      ...base,
      type: z.literal('email'),
      settings: EmailSettings.default({}),
      secrets: EmailSecrets.default({}),
    })
    .strict(),
  z
    .object({
      ...base,
      type: z.literal('sms'),
      settings: z.discriminatedUnion('provider', [EsmsSettings, GenericSmsSettings]),
      secrets: z.union([EsmsSecrets, GenericSmsSecrets]),
    })
    .strict()
    .superRefine((c, ctx) => {
      // The union takes either provider's secrets; the provider chosen in settings decides which.
      const wanted = c.settings.provider === 'esms' ? EsmsSecrets : GenericSmsSecrets;
      const parsed = wanted.safeParse(c.secrets);
      if (parsed.success) return;
      for (const issue of parsed.error.issues)
        ctx.addIssue({
          code: 'custom',
          path: ['secrets', ...issue.path.map(String)],
          message: `${c.settings.provider}: ${issue.message}`,
        });
    }),
  z
    .object({
      ...base,
      type: z.literal('zalo'),
      settings: ZaloSettings.default({ url: zaloCsUrl }),
      secrets: ZaloSecrets,
    })
    .strict(),
  z
    .object({ ...base, type: z.literal('webhook'), settings: WebhookSettings, secrets: WebhookSecrets })
    .strict(),
]);
export type ChannelInput = z.infer<typeof ChannelInput>;

/**
 * A change: settings are merged and checked by the channel's type after merging; secrets left out are
 * kept (an admin never has to type a password again to rename).
 */
export const ChannelPatch = z
  .object({
    name: text(200).optional(),
    enabled: z.boolean().optional(),
    settings: z.record(z.string().max(64), z.unknown()).optional(),
    secrets: z.record(z.string().max(64), secret).optional(),
  })
  .strict();

/** Checks a stored or merged channel against its type's schema; the message names the field. */
export function parseChannel(
  input: unknown,
):
  | { ok: true; channel: ChannelInput }
  | { ok: false; message: string; issues: Array<{ path: string; message: string }> } {
  const parsed = ChannelInput.safeParse(input);
  if (parsed.success) return { ok: true, channel: parsed.data };
  const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  return {
    ok: false,
    message: issues.map((i) => `${i.path || 'channel'}: ${i.message}`).join('; '),
    issues,
  };
}

export const ContactInput = z
  .object({
    name: text(200),
    username: text(64).nullable().default(null),
    email: z.email().max(320).nullable().default(null),
    phone: z
      .string()
      .max(16)
      .regex(/^\+?\d{9,15}$/, 'digits only, 9 to 15, an optional leading +: 0912345678 or 84912345678')
      .nullable()
      .default(null),
    zaloUserId: z
      .string()
      .max(32)
      .regex(/^\d{1,32}$/, 'the user id Zalo gives for this Official Account (digits)')
      .nullable()
      .default(null),
    enabled: z.boolean().default(true),
  })
  .strict();
export type ContactInput = z.infer<typeof ContactInput>;

const ids = z.array(z.number().int().positive()).max(100);

export const ShiftInput = z
  .object({
    days: z
      .array(z.number().int().min(1).max(7))
      .min(1)
      .max(7)
      .describe('ISO weekdays: 1 = Monday … 7 = Sunday'),
    start: hhmm,
    end: hhmm.describe('not after start: the shift runs past midnight'),
    contactIds: ids.min(1),
  })
  .strict();

export const ScheduleInput = z.object({ name: text(200), shifts: z.array(ShiftInput).max(200) }).strict();
export type ScheduleInput = z.infer<typeof ScheduleInput>;

export const StepInput = z
  .object({
    afterMinutes: z
      .number()
      .int()
      .min(0)
      .max(10_080)
      .describe('minutes after the alert opened (and is still unacknowledged) that this step is sent'),
    scheduleIds: ids.default([]).describe('whoever is on call in these schedules at the time'),
    contactIds: ids.default([]),
    channelIds: ids.min(1),
  })
  .strict()
  .refine((s) => s.scheduleIds.length + s.contactIds.length > 0, 'name a schedule or a contact');

export const QuietHoursInput = z
  .object({ start: hhmm, end: hhmm, action: z.enum(['hold', 'skip']).default('hold') })
  .strict()
  .refine((q) => q.start !== q.end, 'start and end must differ');

export const PolicyInput = z
  .object({
    name: text(200),
    city: CityId.nullable().default(null).describe('null: every area'),
    severities: z.array(z.enum(severities)).min(1).max(severities.length),
    steps: z.array(StepInput).min(1).max(10),
    quietHours: QuietHoursInput.nullable().default(null).describe('critical alerts ignore quiet hours'),
    notifyOnClose: z
      .boolean()
      .default(true)
      .describe('tell whoever was notified when the alert is acknowledged or resolved'),
    enabled: z.boolean().default(true),
  })
  .strict()
  .refine(
    (p) => p.steps.every((s, i) => i === 0 || s.afterMinutes >= p.steps[i - 1]!.afterMinutes),
    'steps go in order of afterMinutes',
  );
export type PolicyInput = z.infer<typeof PolicyInput>;
