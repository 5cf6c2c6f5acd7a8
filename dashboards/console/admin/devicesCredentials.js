// A device's connection details as the installer needs them: host, ports, client id, username, topics,
// and the secret when this answer issued one (creation or a new secret: shown once, the server keeps
// only its hash). Downloadable as JSON or text, and as the QR code the server drew (SVG as a data: URL
// image, which the console's CSP allows: img-src data:).
import { say } from '../feedback.js';
import { t } from '../i18n.js';
import { actionButton, download } from './table.js';

const fill = (key, id) => t(key).replace('{id}', id);

/** The file an installer keeps: the same fields the QR code holds. */
export function credentialsFile(c) {
  return {
    host: c.host,
    port: c.port,
    tlsPort: c.tlsPort,
    wsPort: c.wsPort,
    clientId: c.clientId,
    username: c.username,
    ...(c.secret ? { password: c.secret } : {}),
    topics: c.topics,
  };
}

export function credentialsText(c) {
  const lines = [
    `host: ${c.host}`,
    `port: ${c.port ?? '-'}`,
    `tlsPort: ${c.tlsPort ?? '-'}`,
    `wsPort: ${c.wsPort ?? '-'}`,
    `clientId: ${c.clientId}`,
    `username: ${c.username}`,
    ...(c.secret ? [`password: ${c.secret}`] : []),
    ...Object.entries(c.topics).map(([name, topic]) => `topic.${name}: ${topic}`),
  ];
  return `${lines.join('\n')}\n`;
}

function row(list, term, value) {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  if (value instanceof Node) dd.append(value);
  else dd.textContent = value;
  list.append(dt, dd);
}

/** The QR code as an image; the SVG text is the server's own drawing, never device text. */
export function qrImage(c) {
  const img = document.createElement('img');
  img.className = 'dev-qr';
  img.src = `data:image/svg+xml;base64,${btoa(c.qrSvg)}`;
  img.alt = fill('devQrAlt', c.clientId);
  img.width = 220;
  img.height = 220;
  return img;
}

/**
 * Draws the details into box; with a secret, the box says it is shown this once. `level`: its heading's
 * level, one below the section it stands in.
 */
export function showConnection(box, c, level = 3) {
  const heading = document.createElement(`h${level}`);
  heading.textContent = fill('devOnceTitle', c.clientId);
  const list = document.createElement('dl');
  list.className = 'dev-connection';
  row(list, t('devHost'), c.host);
  row(list, t('devPorts'), [c.port, c.tlsPort, c.wsPort].map((p) => p ?? '–').join(' / '));
  row(list, t('devClientId'), c.clientId);
  if (c.secret) {
    const code = document.createElement('code');
    code.className = 'secret-once';
    code.textContent = c.secret;
    row(list, t('devSecret'), code);
  }
  row(list, t('devTopics'), Object.values(c.topics).join('\n'));
  const actions = document.createElement('div');
  actions.className = 'row-actions';
  actions.append(
    actionButton('devDownloadJson', async () =>
      download(
        `${c.clientId}-mqtt.json`,
        `${JSON.stringify(credentialsFile(c), null, 2)}\n`,
        'application/json',
      ),
    ),
    actionButton('devDownloadText', async () => download(`${c.clientId}-mqtt.txt`, credentialsText(c))),
  );
  if (c.secret) {
    actions.append(
      actionButton('devCopySecret', async () => {
        await navigator.clipboard?.writeText(c.secret).catch(() => {});
        say(t('devCopied'));
      }),
    );
  }
  const note = document.createElement('p');
  note.textContent = t(c.secret ? 'devOnceNote' : 'devQrNoSecret');
  box.replaceChildren(heading, note, list, qrImage(c), actions);
  box.hidden = false;
}
