// The NGSI-LD feed against the running system and the official Smart Data Models JSON Schemas
// (tests/fixtures/smart-data-models): each entity validates, normalized (converted to key-values here,
// independently of the feed's own conversion) and as options=keyValues; content negotiation, errors
// and the query parameters behave as ETSI GS CIM 009 says; the one @context maps each term once.
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextTerms, coreContextUrl, coreTerms } from '../../src/feeds/ngsiLd/context.ts';
import { metricsOf, ngsiTypes } from '../../src/feeds/ngsiLd/models.ts';
import { insertTelemetryRows, writeLatest } from '../../src/storage/telemetry.ts';
import { modelValidators } from '../fixtures/smart-data-models/validator.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let key: Record<string, string>;
let validators: Record<string, ValidateFunction>;
const entitiesPath = '/api/v1/feeds/ngsi-ld/entities';
const allTypes = ngsiTypes.join(',');

async function device(id: string, kind: string, ward: string, pole: string | null = null) {
  await app.pool.query(
    `INSERT INTO devices (id, kind, city, ward, lat, lon, name, secret_hash, created_at, pole)
     VALUES ($1, $2, 'hoi-an', $3, 15.877, 108.326, 'Trạm ' || $1, 'x', '2026-01-01', $4)`,
    [id, kind, ward, pole],
  );
}

/** Stores readings as the writer does: raw and pending rollup, then the latest values. */
async function store(rows: Array<[string, string, string, number]>) {
  await insertTelemetryRows(app.pool, {
    deviceId: rows.map((r) => r[0]),
    metric: rows.map((r) => r[1]),
    time: rows.map((r) => new Date(r[2])),
    value: rows.map((r) => r[3]),
  });
  const newest = new Map<string, { deviceId: string; metric: string; time: Date; value: number }>();
  for (const [deviceId, metric, time, value] of rows) {
    const known = newest.get(`${deviceId} ${metric}`);
    if (!known || known.time < new Date(time))
      newest.set(`${deviceId} ${metric}`, { deviceId, metric, time: new Date(time), value });
  }
  await writeLatest(app.pool, [...newest.values()]);
}

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${app.baseUrl}${path}`, { headers: { ...key, ...headers } });
  const text = await res.text();
  return { res, body: text ? JSON.parse(text) : undefined };
}

/** NGSI-LD simplified representation, written here from the specification, not taken from the feed. */
function toKeyValues(entity: Record<string, any>) {
  const out: Record<string, unknown> = {};
  for (const [name, attribute] of Object.entries(entity)) {
    if (name === '@context') continue;
    if (name === 'id' || name === 'type') out[name] = attribute;
    else if (attribute.type === 'Relationship') out[name] = attribute.object;
    else {
      const value = attribute.value;
      out[name] = value && typeof value === 'object' && '@value' in value ? value['@value'] : value;
    }
  }
  return out;
}

function expectValid(entity: Record<string, unknown>) {
  const validate = validators[entity.type as string];
  expect(validate, `a schema for ${entity.type}`).toBeDefined();
  const ok = validate!(entity);
  expect(ok, `${entity.id}: ${JSON.stringify(validate!.errors)}`).toBe(true);
}

beforeAll(async () => {
  validators = await modelValidators();
  app = await startTestApp({ FEEDS_RATE_PER_MIN: '1000' });
  const admin = await app.login();
  const created = await app.request('POST', '/api/v1/feeds/keys', admin, { name: 'IOC tỉnh' });
  key = { 'x-api-key': created.body.key as string };

  await device('ha-env-a', 'environment', 'phuong-hoi-an');
  await device('ha-env-quiet', 'environment', 'phuong-hoi-an');
  await device('ha-noise-a', 'noise', 'phuong-hoi-an');
  await device('ha-sl-a', 'streetlight', 'phuong-hoi-an', 'ha-pole-7');
  await device('ha-waste-a', 'waste', 'phuong-hoi-an');
  await device('ha-cam-a', 'camera', 'phuong-hoi-an');
  await device('ha-fire-a', 'fire', 'phuong-hoi-an');
  await store([
    // PM2.5 30 µg/m³ in each of the three hours before 05:00 UTC: NowCast 30, VN_AQI sub-index
    // 50 + (100 − 50)/(50 − 25)·(30 − 25) = 60 (Decision 1459/QĐ-TCMT), "moderate".
    ['ha-env-a', 'pm25', '2026-04-01T02:30:00Z', 30],
    ['ha-env-a', 'pm25', '2026-04-01T03:30:00Z', 30],
    ['ha-env-a', 'pm25', '2026-04-01T04:30:00Z', 30],
    ['ha-env-a', 'pm25', '2026-04-01T05:10:00Z', 42],
    ['ha-env-a', 'temp_c', '2026-04-01T05:10:00Z', 31.5],
    ['ha-env-a', 'humidity_pct', '2026-04-01T05:10:00Z', 70],
    ['ha-env-a', 'water_level_cm', '2026-04-01T05:10:00Z', 12],
    ['ha-noise-a', 'laeq_db', '2026-04-01T05:10:00Z', 65.2],
    ['ha-noise-a', 'lamax_db', '2026-04-01T05:10:00Z', 80],
    ['ha-sl-a', 'lamp_on', '2026-04-01T05:10:00Z', 1],
    ['ha-sl-a', 'dim_pct', '2026-04-01T05:10:00Z', 80],
    ['ha-sl-a', 'power_w', '2026-04-01T05:10:00Z', 40],
    ['ha-sl-a', 'voltage_v', '2026-04-01T05:10:00Z', 225],
    ['ha-waste-a', 'fill_pct', '2026-04-01T05:10:00Z', 55],
    ['ha-waste-a', 'temp_c', '2026-04-01T05:10:00Z', 30],
    ['ha-waste-a', 'tilt', '2026-04-01T05:10:00Z', 1],
    ['ha-cam-a', 'recording', '2026-04-01T05:10:00Z', 1],
    ['ha-cam-a', 'fps', '2026-04-01T05:10:00Z', 25],
    ['ha-fire-a', 'alarm', '2026-04-01T05:10:00Z', 0],
    ['ha-fire-a', 'smoke_pct', '2026-04-01T05:10:00Z', 0.1],
  ]);
});
afterAll(async () => {
  await app?.close();
});

describe('entities against the Smart Data Models schemas', () => {
  it('every type is published and each entity validates, normalized and as options=keyValues', async () => {
    const normalized = await get(`${entitiesPath}?type=${allTypes}`, { accept: 'application/ld+json' });
    expect(normalized.res.status).toBe(200);
    const entities = normalized.body as Array<Record<string, any>>;
    expect(new Set(entities.map((e) => e.type))).toEqual(new Set(ngsiTypes));
    for (const entity of entities) expectValid(toKeyValues(entity));

    const simplified = await get(`${entitiesPath}?type=${allTypes}&options=keyValues`);
    expect(simplified.res.status).toBe(200);
    const keyValues = simplified.body as Array<Record<string, unknown>>;
    for (const entity of keyValues) expectValid(entity);
    expect(keyValues).toEqual(entities.map(toKeyValues));
  });

  it('the schemas refuse the shapes the feed used to send', () => {
    const place = { location: { type: 'Point', coordinates: [108.326, 15.877] } };
    const noise = {
      id: 'urn:ngsi-ld:NoiseLevelObserved:x',
      type: 'NoiseLevelObserved',
      dateObserved: '2026-04-01T05:10:00Z',
      LAeq: 60,
      ...place,
    };
    expect(validators.NoiseLevelObserved!(noise)).toBe(false);
    const lamp = { id: 'urn:ngsi-ld:Streetlight:x', type: 'Streetlight', powerState: 'on', ...place };
    expect(validators.Streetlight!(lamp)).toBe(false);
    const silent = { id: 'urn:ngsi-ld:AirQualityObserved:x', type: 'AirQualityObserved', ...place };
    expect(validators.AirQualityObserved!(silent)).toBe(false);
    expect(
      validators.AirQualityObserved!({
        ...silent,
        dateObserved: '2026-04-01T05:10:00Z',
        relativeHumidity: 70,
      }),
    ).toBe(false);
  });

  it('air quality: values with units, the hourly VN_AQI, names with diacritics, silent stations left out', async () => {
    const { body } = await get(`${entitiesPath}?type=AirQualityObserved&city=hoi-an`);
    expect(body.map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:AirQualityObserved:ha-env-a']);
    const station = body[0];
    expect(station).toMatchObject({
      type: 'AirQualityObserved',
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [108.326, 15.877] } },
      pm25: { type: 'Property', value: 42, observedAt: '2026-04-01T05:10:00.000Z', unitCode: 'GQ' },
      relativeHumidity: { value: 0.7 },
      dateObserved: {
        type: 'Property',
        value: { '@type': 'DateTime', '@value': '2026-04-01T05:10:00.000Z' },
      },
      airQualityIndex: { type: 'Property', value: 60, observedAt: '2026-04-01T05:00:00.000Z' },
      airQualityLevel: { type: 'Property', value: 'moderate' },
    });
    expect(station.waterLevel).toBeUndefined();
    const address = station.address.value;
    expect(address.addressCountry).toBe('VN');
    // Names, not ids: the places tables' unit in force when they know the ward, else the catalog's.
    expect(address.district).toBe('Phường Hội An');
    expect(address.addressLocality).toMatch(/Hội An/);
  });

  it('noise over its interval, streetlight status, bin dropped, camera recording, fire detector state', async () => {
    const { body } = await get(
      `${entitiesPath}?type=NoiseLevelObserved,Streetlight,WasteContainer,Camera,Device,FloodMonitoring&options=keyValues`,
    );
    const byType = Object.fromEntries(body.map((e: { type: string }) => [e.type, e]));
    expect(byType.NoiseLevelObserved).toMatchObject({
      LAeq: 65.2,
      LAmax: 80,
      dateObservedFrom: '2026-04-01T05:09:00.000Z',
      dateObservedTo: '2026-04-01T05:10:00.000Z',
      dateObserved: '2026-04-01T05:09:00.000Z/2026-04-01T05:10:00.000Z',
    });
    expect(byType.Streetlight).toMatchObject({
      status: 'ok',
      powerState: 'on',
      illuminanceLevel: 0.8,
      powerConsumption: 40,
      voltage: 225,
      streetPoleNum: 'ha-pole-7',
      observationDateTime: '2026-04-01T05:10:00.000Z',
    });
    expect(byType.Streetlight.dateLastReported).toBeUndefined();
    expect(byType.WasteContainer).toMatchObject({ fillingLevel: 0.55, temperature: 30, status: 'dropped' });
    expect(byType.Camera).toMatchObject({ on: true, cameraName: 'Trạm ha-cam-a' });
    expect(byType.Device).toMatchObject({
      id: 'urn:ngsi-ld:Device:ha-fire-a',
      category: ['sensor'],
      controlledProperty: ['smoke', 'temperature'],
      deviceState: 'normal',
    });
    expect(byType.FloodMonitoring).toMatchObject({
      currentLevel: 12,
      observationDateTime: '2026-04-01T05:10:00.000Z',
    });
  });
});

describe('content negotiation and errors', () => {
  it('JSON-LD carries the @context in the body; JSON and no Accept carry it in a Link header', async () => {
    const ld = await get(`${entitiesPath}?type=Camera`, { accept: 'application/ld+json' });
    expect(ld.res.headers.get('content-type')).toContain('application/ld+json');
    expect(ld.res.headers.get('link')).toBeNull();
    expect(ld.body[0]['@context']).toBe(`${app.baseUrl}/api/v1/feeds/ngsi-ld/context.jsonld`);

    for (const accept of ['application/json', undefined, '*/*']) {
      const plain = await get(`${entitiesPath}?type=Camera`, accept ? { accept } : {});
      expect(plain.res.headers.get('content-type')).toContain('application/json');
      expect(plain.res.headers.get('link')).toBe(
        `<${app.baseUrl}/api/v1/feeds/ngsi-ld/context.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`,
      );
      expect(plain.body[0]['@context']).toBeUndefined();
    }
    const preferred = await get(`${entitiesPath}?type=Camera`, {
      accept: 'application/json;q=0.5, application/ld+json',
    });
    expect(preferred.res.headers.get('content-type')).toContain('application/ld+json');
  });

  it('answers ProblemDetails: 406 for another Accept, 400 BadRequestData for a bad query, 401 without a key', async () => {
    const html = await get(`${entitiesPath}?type=Camera`, { accept: 'text/html' });
    expect(html.res.status).toBe(406);
    expect(html.body).toMatchObject({ type: 'about:blank', title: 'Not Acceptable', status: 406 });

    for (const query of [
      '',
      '?type=Camera&q=on==true',
      '?type=Camera&limit=0',
      '?type=Camera&options=sysAttrs',
      '?type=Ca mera',
    ]) {
      const bad = await get(`${entitiesPath}${query}`);
      expect(bad.res.status, query).toBe(400);
      expect(bad.res.headers.get('content-type')).toContain('application/json');
      expect(bad.body, query).toMatchObject({
        type: 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData',
        status: 400,
      });
      expect(bad.body.detail.length).toBeGreaterThan(0);
    }
    const anonymous = await fetch(`${app.baseUrl}${entitiesPath}?type=Camera`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });
});

describe('query parameters', () => {
  it('type takes short names and IRIs in a list; an unknown type matches nothing; id picks entities', async () => {
    const iri = contextTerms.WasteContainer!;
    const { body } = await get(`${entitiesPath}?type=Camera,${encodeURIComponent(iri)}&options=keyValues`);
    expect(body.map((e: { type: string }) => e.type)).toEqual(['WasteContainer', 'Camera']);
    const unknown = await get(`${entitiesPath}?type=Parking`);
    expect(unknown.res.status).toBe(200);
    expect(unknown.body).toEqual([]);

    const ids = 'urn:ngsi-ld:Camera:ha-cam-a,urn:ngsi-ld:FloodMonitoring:ha-env-a,urn:ngsi-ld:Camera:nobody';
    const picked = await get(`${entitiesPath}?id=${ids}&options=keyValues`);
    expect(picked.body.map((e: { id: string }) => e.id)).toEqual([
      'urn:ngsi-ld:FloodMonitoring:ha-env-a',
      'urn:ngsi-ld:Camera:ha-cam-a',
    ]);
  });

  it('pages with limit and offset, counts with count=true, and has a concise form', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < 20; offset += 2) {
      const page = await get(`${entitiesPath}?type=${allTypes}&limit=2&offset=${offset}&count=true`);
      expect(page.res.headers.get('ngsild-results-count')).toBe('7');
      seen.push(...page.body.map((e: { id: string }) => e.id));
      if (page.body.length < 2) break;
    }
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    const countOnly = await get(`${entitiesPath}?type=Camera&limit=0&count=true`);
    expect(countOnly.body).toEqual([]);
    expect(countOnly.res.headers.get('ngsild-results-count')).toBe('1');

    const concise = await get(`${entitiesPath}?type=Camera&options=concise`);
    expect(concise.body[0]).toMatchObject({
      cameraName: 'Trạm ha-cam-a',
      location: { type: 'Point', coordinates: [108.326, 15.877] },
      on: { value: true, observedAt: '2026-04-01T05:10:00.000Z' },
    });
  });
});

describe('the @context', () => {
  it('is served without a key, maps each term once, leaves the core terms to the core context', async () => {
    const res = await fetch(`${app.baseUrl}/api/v1/feeds/ngsi-ld/context.jsonld`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/ld+json');
    const document = (await res.json()) as { '@context': [Record<string, string>, string] };
    const [terms, core] = document['@context'];
    expect(core).toBe(coreContextUrl);
    // One object: a term cannot appear twice; and no term of the core context is mapped again.
    for (const term of coreTerms) expect(terms[term], term).toBeUndefined();
    for (const [term, iri] of Object.entries(terms)) {
      expect(iri, term).toMatch(
        /^https:\/\/smartdatamodels\.org\/(dataModel\.(Environment|Streetlighting|WasteManagement|Device)\/)?\w+$/,
      );
      expect(iri.endsWith(`/${term}`), term).toBe(true);
    }
    // Shared terms took one subject: temperature is the same IRI for air quality and waste containers.
    expect(terms.temperature).toBe('https://smartdatamodels.org/dataModel.Environment/temperature');
    expect(terms.Streetlight).toBe('https://smartdatamodels.org/dataModel.Streetlighting/Streetlight');

    // Every attribute the feed publishes is a term of this context or of the core one.
    const { body } = await get(`${entitiesPath}?type=${allTypes}`);
    for (const entity of body as Array<Record<string, any>>) {
      expect(terms[entity.type], entity.type).toBeDefined();
      for (const name of Object.keys(entity)) {
        expect(
          terms[name] ?? (coreTerms.includes(name) ? 'core' : undefined),
          `${entity.type}.${name}`,
        ).toBeDefined();
      }
      for (const name of Object.keys(entity.address.value)) expect(terms[name], name).toBeDefined();
    }
  });

  it('each model reads metrics its device kind has', () => {
    for (const type of ngsiTypes) {
      const kind = app.catalog.kind(
        (
          {
            AirQualityObserved: 'environment',
            NoiseLevelObserved: 'noise',
            FloodMonitoring: 'environment',
            Streetlight: 'streetlight',
            WasteContainer: 'waste',
            Camera: 'camera',
            Device: 'fire',
          } as const
        )[type],
      );
      for (const metric of metricsOf(type))
        expect(Object.keys(kind.metrics), `${type}: ${metric}`).toContain(metric);
    }
  });
});
