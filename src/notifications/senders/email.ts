// Email over SMTP with nodemailer. The server, port, TLS and account come from the channel or, for what
// it leaves out, from the configuration (NOTIFY_SMTP_*). A host typed into a channel is an admin's
// input like a webhook URL: it is resolved and checked against the outbound policy, and the
// connection goes to the checked address (TLS still verifies the name). The configured host is the
// operator's own and is used as given.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import nodemailer from 'nodemailer';
import type { OutboundPolicy } from '../../net/outbound.ts';
import { EmailSecrets, EmailSettings } from '../schemas.ts';
import { DeliveryError, type Sender } from './types.ts';

export interface SmtpDefaults {
  host: string | undefined;
  port: number;
  secure: boolean;
  requireTls: boolean;
  username: string | undefined;
  password: string | undefined;
  from: string | undefined;
}

/** Node's and nodemailer's codes for a connection that did not happen or broke: worth another try. */
const transientCodes = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET']);

function failure(error: unknown): DeliveryError {
  const { code, responseCode } = error as { code?: string; responseCode?: number };
  if (typeof responseCode === 'number') {
    const what = code === 'EAUTH' ? ' (authentication failed)' : '';
    return new DeliveryError(`SMTP ${responseCode}${what}`, responseCode >= 400 && responseCode < 500);
  }
  if (code === 'ETLS' || code === 'EAUTH') return new DeliveryError(`SMTP ${code}`, false);
  return new DeliveryError(
    code && transientCodes.has(code) ? 'unreachable' : `SMTP ${code ?? 'error'}`,
    !code || transientCodes.has(code),
  );
}

async function checkedAddress(policy: OutboundPolicy, host: string): Promise<string> {
  // The same refusals as a URL's (a literal internal address, localhost), before any DNS lookup.
  const refusal = policy.refusal(`http://${isIP(host) === 6 ? `[${host}]` : host}/`);
  if (refusal) throw new DeliveryError('refused by policy', false);
  if (isIP(host)) return host;
  let addresses: Array<{ address: string }>;
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch {
    throw new DeliveryError('unreachable', true);
  }
  if (addresses.length === 0 || addresses.some((a) => !policy.allows(host, a.address)))
    throw new DeliveryError('refused by policy', false);
  return addresses[0]!.address;
}

export function createEmailSender(policy: OutboundPolicy, defaults: SmtpDefaults): Sender {
  return async (channel, to, message) => {
    const settings = EmailSettings.parse(channel.settings);
    const secrets = EmailSecrets.parse(channel.secrets);
    const host = settings.host ?? defaults.host;
    const from = settings.from ?? defaults.from;
    if (!host || !from)
      throw new DeliveryError('no SMTP server or sender: set NOTIFY_SMTP_HOST and NOTIFY_EMAIL_FROM', false);
    const address = settings.host ? await checkedAddress(policy, settings.host) : host;
    const username = settings.host ? settings.username : (settings.username ?? defaults.username);
    const password = settings.host ? secrets.password : (secrets.password ?? defaults.password);
    const transport = nodemailer.createTransport({
      host: address,
      port: settings.port ?? defaults.port,
      secure: settings.secure ?? defaults.secure,
      requireTLS: settings.requireTls ?? defaults.requireTls,
      tls: { servername: isIP(host) ? undefined : host },
      auth: username ? { user: username, pass: password ?? '' } : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
      logger: false,
    });
    try {
      await transport.sendMail({ from, to, subject: message.subject, text: message.text });
    } catch (error) {
      throw failure(error);
    } finally {
      transport.close();
    }
  };
}
