// The one JSON-LD @context of the NGSI-LD feed: each type and attribute the feed publishes mapped to
// its Smart Data Models IRI, with the NGSI-LD core context last. The models' own contexts cannot be
// combined (each maps shared terms such as `temperature` to its own subject), so this one maps every
// term once: a term of the common schemas to https://smartdatamodels.org/<term>, any other to the
// subject of the first model in `models` that uses it, and none that the core context defines.
import { type Domain, models, ngsiTypes } from './models.ts';

/** ETSI GS CIM 009 core context, version 1.8: NGSI-LD's own terms (id, type, value, location, ...). */
export const coreContextUrl = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld';

/** Where the IOC serves the context, under its origin. */
export const contextPath = '/api/v1/feeds/ngsi-ld/context.jsonld';

const sdm = 'https://smartdatamodels.org/';
const subjectIri = (domain: Domain, term: string) => `${sdm}dataModel.${domain}/${term}`;

// Terms of the core context that the entities use: mapping them here would collide with it (the core
// context is @protected), so they stay the core's. `status` is one: Streetlight and WasteContainer
// statuses expand to ngsi-ld:status, as the Smart Data Models contexts have them.
export const coreTerms = ['id', 'type', 'value', 'object', 'location', 'observedAt', 'unitCode', 'status'];

// Terms of common-schema.json (GSMA-Commons, Location-Commons), shared by every model.
const commonTerms = ['name', 'address', 'addressCountry', 'addressRegion', 'addressLocality', 'district'];

function buildTerms(): Record<string, string> {
  const terms: Record<string, string> = {};
  for (const term of commonTerms) terms[term] = `${sdm}${term}`;
  for (const type of ngsiTypes) {
    const model = models[type];
    terms[type] = subjectIri(model.domain, type);
    for (const term of [...Object.keys(model.measures), ...model.otherTerms]) {
      if (coreTerms.includes(term) || term in terms) continue;
      terms[term] = subjectIri(model.domain, term);
    }
  }
  return terms;
}

/** Short name → IRI of every type and attribute the feed publishes. */
export const contextTerms: Readonly<Record<string, string>> = buildTerms();

/** The document served at contextPath. */
export const contextDocument = { '@context': [contextTerms, coreContextUrl] };

/** Full IRI of a type → its short name. */
export const typeByIri: ReadonlyMap<string, string> = new Map(
  ngsiTypes.map((type) => [contextTerms[type]!, type]),
);
