// Channels: how a message goes out (email, SMS through eSMS or another gateway, Zalo OA, webhook). The
// form for each kind is the API's own alternative for it (POST /notifications/channels is one schema per
// type, and per SMS provider); secrets are typed, never shown back: the list says only which are set.
// A test message goes through the channel and its outcome is read from the delivery log.
import { api } from '../api.js';
import { attempt, say } from '../feedback.js';
import { formatDateTime, t } from '../i18n.js';
import { createForm } from './form.js';
import { fixedWidget, jsonWidget, rowActions, secretWidget } from './notificationsWidgets.js';
import { bodySchema } from './schemas.js';
import { actionButton, createTable } from './table.js';

const typeText = {
  email: 'notifTypeEmail',
  sms: 'notifTypeSms',
  zalo: 'notifTypeZalo',
  webhook: 'notifTypeWebhook',
};
const providerText = { esms: 'notifProviderEsms', generic: 'notifProviderGeneric' };
export const labels = {
  name: 'notifName',
  enabled: 'notifEnabled',
  settings: 'notifSettings',
  secrets: 'notifSecrets',
  host: 'notifSmtpHost',
  port: 'notifSmtpPort',
  secure: 'notifSmtpSecure',
  requireTls: 'notifSmtpRequireTls',
  username: 'notifSmtpUsername',
  from: 'notifSmtpFrom',
  password: 'notifSmtpPassword',
  url: 'notifUrl',
  brandname: 'notifBrandname',
  smsType: 'notifSmsType',
  unicode: 'notifUnicode',
  sandbox: 'notifSandbox',
  header: 'notifHeader',
  body: 'notifGatewayBody',
  apiKey: 'notifApiKey',
  secret: 'notifSecret',
  token: 'notifToken',
  accessToken: 'notifAccessToken',
};
const options = { smsType: { 2: 'notifSmsType2', 8: 'notifSmsType8' } };
/** Delivery states after which nothing more happens to a message. */
const final = new Set(['sent', 'failed', 'skipped', 'cancelled']);

/** The kinds of channel an admin can create: one per type, SMS once per provider, from the schema. */
function kindsOf(schema) {
  return schema.oneOf.flatMap((alternative) => {
    const type = alternative.properties.type.enum[0];
    const settings = alternative.properties.settings;
    const providers = settings.oneOf ?? settings.anyOf;
    if (!providers)
      return [{ key: type, type, alternative, settings, secrets: alternative.properties.secrets }];
    return providers.map((p) => {
      const provider = p.properties.provider.enum[0];
      const secrets = alternative.properties.secrets;
      return {
        key: `${type}-${provider}`,
        type,
        provider,
        alternative,
        settings: p,
        // The schema names which secrets go with which provider by their title.
        secrets: (secrets.anyOf ?? secrets.oneOf ?? [secrets]).find((s) => s.title === provider) ?? secrets,
      };
    });
  });
}

const kindText = (kind) =>
  kind.provider ? `${t(typeText[kind.type])} (${t(providerText[kind.provider])})` : t(typeText[kind.type]);

/** The form's schema for one kind: the alternative with its settings and secrets fixed to that kind. */
function formSchema(kind, editing) {
  const { type: _type, ...properties } = kind.alternative.properties;
  const secrets = editing ? { ...kind.secrets, required: [] } : kind.secrets;
  return {
    type: 'object',
    properties: { ...properties, settings: kind.settings, secrets },
    required: (kind.alternative.required ?? []).filter((r) => r !== 'type' && !(editing && r === 'secrets')),
  };
}

function channelForm(kind, channel, done) {
  const secretNames = Object.keys(kind.secrets.properties ?? {});
  const widgets = Object.fromEntries(
    secretNames.map((name) => [`secrets.${name}`, secretWidget(Boolean(channel?.secrets?.[name]))]),
  );
  if (kind.provider) widgets['settings.provider'] = fixedWidget(kind.provider);
  if (kind.settings.properties?.body) widgets['settings.body'] = jsonWidget;
  const cancel = document.createElement('button');
  cancel.type = 'button';
  cancel.textContent = t('cancel');
  cancel.addEventListener('click', () => done(false));
  const form = createForm({
    schema: formSchema(kind, Boolean(channel)),
    values: channel ? { name: channel.name, enabled: channel.enabled, settings: channel.settings } : {},
    fields: ['name', 'enabled', 'settings', 'secrets'],
    labels,
    options,
    widgets,
    submitText: channel ? 'save' : 'notifCreateChannel',
    extraActions: channel ? [cancel] : [],
    onSubmit: async (body) => {
      const secrets = body.secrets && Object.keys(body.secrets).length ? body.secrets : undefined;
      if (channel) {
        await api('PATCH', `/api/v1/notifications/channels/${channel.id}`, {
          name: body.name,
          enabled: body.enabled,
          settings: body.settings ?? {},
          ...(secrets ? { secrets } : {}),
        });
      } else {
        await api('POST', '/api/v1/notifications/channels', {
          type: kind.type,
          name: body.name,
          enabled: body.enabled,
          settings: body.settings ?? {},
          ...(secrets ? { secrets } : {}),
        });
      }
      say(t('notifSaved'));
      done(true);
    },
  });
  form.element.setAttribute('aria-label', channel ? t('notifEditChannel') : t('notifNewChannel'));
  return form.element;
}

/** Sends a test message and follows its log entry until it is sent or has failed. */
function testBox(channel) {
  const box = document.createElement('form');
  box.className = 'notif-test';
  box.setAttribute('aria-label', `${t('notifTest')}: ${channel.name}`);
  const outcome = document.createElement('p');
  outcome.setAttribute('role', 'status');
  outcome.className = 'notif-outcome';
  let to;
  if (channel.type !== 'webhook') {
    to = document.createElement('input');
    to.type = channel.type === 'email' ? 'email' : 'text';
    to.maxLength = 320;
    to.required = true;
    to.id = `notif-test-to-${channel.id}`;
    to.name = 'to';
    const label = document.createElement('label');
    label.htmlFor = to.id;
    label.textContent = t(
      channel.type === 'email'
        ? 'notifTestToEmail'
        : channel.type === 'sms'
          ? 'notifTestToPhone'
          : 'notifTestToZalo',
    );
    box.append(label, to);
  }
  const send = document.createElement('button');
  send.type = 'submit';
  send.textContent = t('notifSendTest');
  box.append(send, outcome);
  box.addEventListener('submit', async (event) => {
    event.preventDefault();
    send.disabled = true;
    outcome.textContent = t('notifTestQueued');
    try {
      let entry = await attempt(() =>
        api('POST', `/api/v1/notifications/channels/${channel.id}/test`, to ? { to: to.value } : {}),
      );
      if (!entry) {
        outcome.textContent = t('notifTestRefused');
        return;
      }
      const deadline = Date.now() + 30_000;
      while (!final.has(entry.status) && Date.now() < deadline) {
        await new Promise((ok) => setTimeout(ok, 500));
        entry = (await attempt(() => api('GET', `/api/v1/notifications/deliveries/${entry.id}`))) ?? entry;
      }
      outcome.dataset.status = entry.status;
      outcome.textContent = `${t(`notifStatus_${entry.status}`)} — ${entry.recipient}${
        entry.lastError ? ` (${entry.lastError})` : ''
      }${entry.sentAt ? `, ${formatDateTime(entry.sentAt)}` : ''}`;
    } finally {
      send.disabled = false;
    }
  });
  return box;
}

export async function renderChannels(section) {
  const [schema, { items }] = await Promise.all([
    bodySchema('post', '/api/v1/notifications/channels'),
    api('GET', '/api/v1/notifications/channels'),
  ]);
  const kinds = kindsOf(schema);
  const kindOf = (c) =>
    kinds.find((k) => k.type === c.type && (!k.provider || k.provider === c.settings.provider));
  const redraw = () => renderChannels(section);
  const below = document.createElement('div');
  const table = createTable({
    caption: 'notifChannels',
    columns: [
      { text: 'notifName', value: (c) => c.name },
      { text: 'notifType', value: (c) => (kindOf(c) ? kindText(kindOf(c)) : c.type) },
      {
        text: 'notifSecretsSet',
        value: (c) =>
          Object.keys(c.secrets)
            .map((k) => t(labels[k] ?? k))
            .join(', ') || '—',
      },
      { text: 'notifEnabled', value: (c) => t(c.enabled ? 'notifYes' : 'notifNo') },
      {
        text: 'notifActions',
        value: (c) =>
          rowActions(c, {
            path: 'channels',
            before: [
              actionButton('notifTest', () => below.replaceChildren(testBox(c)), {
                label: `${t('notifTest')}: ${c.name}`,
              }),
            ],
            edit: () =>
              below.replaceChildren(
                channelForm(kindOf(c), c, (changed) => (changed ? redraw() : below.replaceChildren())),
              ),
            removed: redraw,
          }),
      },
    ],
    rows: items,
  });
  const heading = document.createElement('h3');
  heading.textContent = t('notifNewChannel');
  const pick = document.createElement('select');
  pick.id = 'notif-channel-kind';
  for (const kind of kinds) {
    const o = document.createElement('option');
    o.value = kind.key;
    o.textContent = kindText(kind);
    pick.append(o);
  }
  const pickLabel = document.createElement('label');
  pickLabel.htmlFor = pick.id;
  pickLabel.textContent = t('notifType');
  const formBox = document.createElement('div');
  const drawForm = () =>
    formBox.replaceChildren(
      channelForm(
        kinds.find((k) => k.key === pick.value),
        null,
        () => redraw(),
      ),
    );
  pick.addEventListener('change', drawForm);
  drawForm();
  const hint = document.createElement('p');
  hint.className = 'field-hint';
  hint.textContent = t('notifChannelHint');
  const pickField = document.createElement('div');
  pickField.className = 'notif-field';
  pickField.append(pickLabel, pick);
  section.replaceChildren(table, below, heading, hint, pickField, formBox);
}
