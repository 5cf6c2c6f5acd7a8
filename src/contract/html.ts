// The AsyncAPI document as one readable HTML page: servers, then each channel with its direction,
// QoS, payload fields (type, unit, range) and examples. Rendered on the server from the document
// alone, with no script and no outside resource, so it works offline and under the console's CSP.
import type { AsyncApiDocument, Channel, Message, Operation, Reference } from './document.ts';
import type { JsonSchema } from './schemas.ts';
import { type Bilingual, line, pageTexts } from './texts.ts';

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Escaped text with `code` spans and paragraphs, the little CommonMark the document uses. */
function prose(text: string): string {
  return text
    .split(/\n\n+/)
    .map((block) => {
      const html = escapeHtml(block).replace(/`([^`]+)`/g, '<code>$1</code>');
      if (!block.startsWith('- ')) return `<p>${html}</p>`;
      const items = html.split(/\n- /).map((item) => item.replace(/^- /, ''));
      return `<ul>${items.map((item) => `<li>${item}</li>`).join('')}</ul>`;
    })
    .join('\n');
}

const heading = (text: Bilingual) =>
  `${escapeHtml(text.vi)} <span class="en">/ ${escapeHtml(text.en)}</span>`;

function resolve<T>(document: AsyncApiDocument, value: T | Reference): T {
  if (typeof value !== 'object' || value === null || !('$ref' in value)) return value as T;
  let node: unknown = document;
  for (const part of value.$ref.replace(/^#\//, '').split('/'))
    node = (node as Record<string, unknown>)[part];
  return resolve(document, node as T);
}

interface Row {
  path: string;
  type: string;
  unit: string;
  range: string;
  required: boolean;
  description: string;
}

/** A schema with a lone `allOf` (zod's way of describing a referenced schema) seen as that schema. */
function flatten(document: AsyncApiDocument, schema: JsonSchema): JsonSchema {
  const { allOf, ...own } = resolve<JsonSchema>(document, schema as JsonSchema | Reference);
  if (!Array.isArray(allOf) || allOf.length !== 1) return own;
  return { ...flatten(document, allOf[0] as JsonSchema), ...own };
}

function typeOf(document: AsyncApiDocument, schema: JsonSchema): string {
  const s = flatten(document, schema);
  const branches = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (branches) return branches.map((b) => typeOf(document, b)).join(' | ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (s.type === 'array') return `array<${typeOf(document, s.items as JsonSchema)}>`;
  return s.format ? `${s.type} (${s.format})` : String(s.type ?? 'any');
}

const maxSafe = Number.MAX_SAFE_INTEGER;

function rangeOf(s: JsonSchema): string {
  const parts: string[] = [];
  const min = s.minimum as number | undefined;
  const max = s.maximum as number | undefined;
  if (min !== undefined && max !== undefined && max !== maxSafe) parts.push(`${min} … ${max}`);
  else if (min !== undefined) parts.push(`≥ ${min}`);
  else if (max !== undefined) parts.push(`≤ ${max}`);
  if (s.maxLength !== undefined) parts.push(`≤ ${s.maxLength} chars`);
  if (s.minItems !== undefined) parts.push(`≥ ${s.minItems} items`);
  if (s.minProperties !== undefined) parts.push(`≥ ${s.minProperties} fields`);
  if (typeof s.pattern === 'string' && s.pattern.length <= 40) parts.push(s.pattern);
  return parts.join(', ');
}

function rows(document: AsyncApiDocument, schema: JsonSchema, prefix: string): Row[] {
  const s = flatten(document, schema);
  if (s.type === 'array') return rows(document, s.items as JsonSchema, `${prefix}[]`);
  const properties = s.properties as Record<string, JsonSchema> | undefined;
  if (!properties) return [];
  const required = new Set((s.required as string[] | undefined) ?? []);
  return Object.entries(properties).flatMap(([name, property]) => {
    const p = flatten(document, property);
    const path = prefix ? `${prefix}.${name}` : name;
    const row: Row = {
      path,
      type: typeOf(document, p),
      unit: typeof p['x-unit'] === 'string' ? p['x-unit'] : '',
      range: rangeOf(p),
      required: required.has(name),
      description: typeof p.description === 'string' ? p.description : '',
    };
    return [row, ...rows(document, p, path)];
  });
}

function fieldTable(document: AsyncApiDocument, schema: JsonSchema): string {
  const head = [pageTexts.field, pageTexts.fieldType, pageTexts.unit, pageTexts.range, pageTexts.required]
    .map((t) => `<th>${heading(t)}</th>`)
    .join('');
  const body = rows(document, schema, '')
    .map(
      (r) =>
        `<tr><td><code>${escapeHtml(r.path)}</code></td><td>${escapeHtml(r.type)}</td><td>${escapeHtml(r.unit)}</td>` +
        `<td>${escapeHtml(r.range)}</td><td>${r.required ? escapeHtml(line(pageTexts.yes)) : ''}</td></tr>` +
        (r.description ? `<tr class="note"><td></td><td colspan="4">${prose(r.description)}</td></tr>` : ''),
    )
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function payload(document: AsyncApiDocument, message: Message): string {
  const schema = flatten(document, message.payload as unknown as JsonSchema);
  const branches = schema.oneOf as JsonSchema[] | undefined;
  if (!branches) return fieldTable(document, schema);
  // One table per command: each has its own arguments.
  return branches
    .map((branch) => {
      const name = (flatten(document, branch).properties as Record<string, JsonSchema>).name;
      return `<h5><code>${escapeHtml(typeOf(document, name ?? {}))}</code></h5>${fieldTable(document, branch)}`;
    })
    .join('\n');
}

function messageSection(document: AsyncApiDocument, message: Message): string {
  const examples = message.examples
    .map(
      (e) =>
        `<figure><figcaption>${escapeHtml(line(pageTexts.example))} — ${escapeHtml(e.summary)}</figcaption>` +
        `<pre>${escapeHtml(JSON.stringify(e.payload, null, 2))}</pre></figure>`,
    )
    .join('\n');
  return [
    `<h4>${escapeHtml(message.title)}</h4>`,
    prose(message.summary),
    message.description ? prose(message.description) : '',
    payload(document, message),
    examples,
  ].join('\n');
}

function channelSection(document: AsyncApiDocument, key: string, channel: Channel): string {
  const operations = Object.values(document.operations).filter((o) => o.channel.$ref === `#/channels/${key}`);
  const direction = (o: Operation) =>
    `${heading(o.action === 'receive' ? pageTexts.devicePublishes : pageTexts.deviceSubscribes)}, QoS ${o.bindings.mqtt.qos}${o.bindings.mqtt.retain ? ', retain' : ''}`;
  const parameters = Object.entries(channel.parameters)
    .map(([name, reference]) => {
      const p = resolve<{ description: string; enum?: string[] }>(document, reference);
      const values = p.enum ? ` (${p.enum.map((v) => `<code>${escapeHtml(v)}</code>`).join(', ')})` : '';
      return `<li><code>{${escapeHtml(name)}}</code>: ${escapeHtml(p.description)}${values}</li>`;
    })
    .join('');
  const messages = Object.values(channel.messages).map((m) =>
    messageSection(document, resolve<Message>(document, m)),
  );
  return [
    `<section id="${escapeHtml(key)}"><h3>${escapeHtml(channel.title)}</h3>`,
    `<p class="topic"><code>${escapeHtml(channel.address)}</code></p>`,
    prose(channel.description),
    `<p>${heading(pageTexts.direction)}: ${[...new Set(operations.map(direction))].join('; ')}</p>`,
    `<p>${heading(pageTexts.parameters)}:</p><ul>${parameters}</ul>`,
    ...operations.map((o) => prose(o.description)),
    ...messages,
    '</section>',
  ].join('\n');
}

const style = `body{font:16px/1.5 system-ui,sans-serif;max-width:72rem;margin:0 auto;padding:1rem 2rem;color:#1b1f24}
h1,h2,h3{line-height:1.2}h3{border-top:1px solid #d0d7de;padding-top:1.5rem}.en{color:#57606a;font-weight:normal}
code,pre{font-family:ui-monospace,monospace;font-size:.9em}pre{background:#f6f8fa;padding:.75rem;overflow:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border-bottom:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
tr.note td{border-bottom:1px solid #d0d7de;color:#57606a;font-size:.9em}tr.note p{margin:0}.topic code{font-size:1.1em;font-weight:bold}
nav ul{columns:2}figure{margin:.5rem 0}figcaption{font-size:.9em;color:#57606a}`;

export function renderContract(document: AsyncApiDocument): string {
  const servers = Object.entries(document.servers)
    .map(([name, server]) => {
      const security = server.security
        .map((s) => {
          const scheme = resolve<{ type: string; description: string }>(document, s);
          return `<li><code>${escapeHtml(scheme.type)}</code>: ${prose(scheme.description)}</li>`;
        })
        .join('');
      return `<h3>${escapeHtml(name)} — <code>${escapeHtml(server.protocol)}://${escapeHtml(server.host)}</code></h3>${prose(server.description)}<p>${heading(pageTexts.security)}:</p><ul>${security}</ul>`;
    })
    .join('\n');
  const channels = Object.entries(document.channels);
  const toc = channels
    .map(
      ([key, c]) =>
        `<li><a href="#${escapeHtml(key)}">${escapeHtml(c.title)}</a> <code>${escapeHtml(c.address)}</code></li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(document.info.title)}</title>
<style>${style}</style>
</head>
<body>
<h1>${escapeHtml(document.info.title)}</h1>
<p>AsyncAPI ${escapeHtml(document.asyncapi)}, version ${escapeHtml(document.info.version)} — <a href="asyncapi.json">${heading(pageTexts.document)}</a></p>
${prose(document.info.description)}
<nav><ul>${toc}</ul></nav>
<h2>${heading(pageTexts.servers)}</h2>
${servers}
<h2>${heading(pageTexts.channels)}</h2>
${channels.map(([key, channel]) => channelSection(document, key, channel)).join('\n')}
</body>
</html>
`;
}
