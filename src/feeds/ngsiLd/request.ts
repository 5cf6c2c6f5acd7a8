// What an NGSI-LD query asks for, per ETSI GS CIM 009: the representation from the Accept header
// (6.3.6), the entity types (short names of our @context or full IRIs) and ids, the output options
// (keyValues, concise), and paging (limit, offset, count). Anything malformed is a BadRequestData.
import { contextTerms, typeByIri } from './context.ts';
import { type NgsiType, ngsiTypes } from './models.ts';
import { NgsiProblem } from './problems.ts';

export type MediaType = 'application/ld+json' | 'application/json';
export type Representation = 'normalized' | 'keyValues' | 'concise';

/**
 * The representation to answer in, or undefined when the Accept header allows neither: JSON-LD
 * (@context in the body) or JSON (@context in a Link header), the latter for a missing header and for
 * wildcards, as the specification has it.
 */
export function negotiate(accept: string | undefined): MediaType | undefined {
  if (!accept?.trim()) return 'application/json';
  const ranges = accept
    .split(',')
    .map((part, index) => {
      const [range = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      const q = params.find((p) => p.startsWith('q='));
      return { range, q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((r) => r.range && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { range } of ranges) {
    if (range === 'application/ld+json') return 'application/ld+json';
    if (range === 'application/json' || range === 'application/*' || range === '*/*')
      return 'application/json';
  }
  return undefined;
}

const list = (text: string | undefined) =>
  (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * The types asked for, known ones only: a name or IRI the feed does not publish matches no entity
 * (an empty answer, not an error), as in any NGSI-LD query.
 */
export function parseTypes(text: string | undefined): NgsiType[] | undefined {
  if (text === undefined) return undefined;
  const names = list(text);
  if (names.length === 0)
    throw new NgsiProblem('BadRequestData', 'type is empty: name at least one entity type');
  const types = new Set<NgsiType>();
  for (const name of names) {
    if (!/^[\w:/.#~%+-]+$/.test(name))
      throw new NgsiProblem('BadRequestData', `type ${name} is not a valid type name or IRI`);
    const short = name.includes(':') ? typeByIri.get(name) : name;
    if (short && (ngsiTypes as string[]).includes(short) && contextTerms[short]) types.add(short as NgsiType);
  }
  return ngsiTypes.filter((t) => types.has(t));
}

/** Entity ids (`urn:ngsi-ld:<type>:<device id>`); each must be a URI. */
export function parseIds(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const ids = list(text);
  if (ids.length === 0) throw new NgsiProblem('BadRequestData', 'id is empty: name at least one entity id');
  for (const id of ids) {
    if (!/^[a-zA-Z][\w+.-]*:\S+$/.test(id)) throw new NgsiProblem('BadRequestData', `id ${id} is not a URI`);
  }
  return ids;
}

/** The type part of urn:ngsi-ld:<type>:<device id>, when it is one of ours. */
export function typeOfId(id: string): NgsiType | undefined {
  const match = /^urn:ngsi-ld:([^:]+):/.exec(id);
  return match && (ngsiTypes as string[]).includes(match[1]!) ? (match[1] as NgsiType) : undefined;
}

/** `options` (keyValues, concise, count: the older spelling of count=true) and `format` (v1.8) together. */
export function parseRepresentation(
  options: string | undefined,
  format: string | undefined,
): { representation: Representation; count: boolean } {
  const chosen = new Set<Representation>();
  let count = false;
  for (const word of [...list(options), ...list(format)]) {
    if (word === 'keyValues' || word === 'simplified') chosen.add('keyValues');
    else if (word === 'concise' || word === 'normalized') chosen.add(word);
    else if (word === 'count') count = true;
    else {
      throw new NgsiProblem(
        'BadRequestData',
        `options/format ${word} is not supported: use keyValues (simplified), concise or normalized`,
      );
    }
  }
  if (chosen.size > 1) {
    throw new NgsiProblem(
      'BadRequestData',
      `options/format ask for ${[...chosen].join(' and ')} at once: choose one`,
    );
  }
  return { representation: [...chosen][0] ?? 'normalized', count };
}
