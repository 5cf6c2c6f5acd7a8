// A generated fleet of any size, spread over the wards of both cities in the proportions of the real
// fleets (kinds per ward), for load and scale runs. Ids carry city, ward and kind, so where a device
// stands is derived from its id alone and never needs storing: `gen-{city}-{ward}-{kind}-{nnnnnn}`.
import type { Catalog } from '../src/catalog/index.ts';
import type { CityId, KindName } from '../src/catalog/schema.ts';
import type { Place } from './models.ts';
import { createRandom, hashString } from './random.ts';

export interface GeneratedDevice {
  id: string;
  kind: KindName;
  city: CityId;
  ward: string;
  lat: number;
  lon: number;
  zone: 'special' | 'normal' | null;
  pole: string | null;
  name: string;
}

const cityCodes: Record<string, string> = { 'tay-ninh': 'tn', 'hoi-an': 'ha' };

/** The (city, ward, kind) mix of the real fleets, one entry per real device. */
function mix(catalog: Catalog): Array<{ city: CityId; ward: string; kind: KindName }> {
  return [...catalog.fleets.values()].flatMap((fleet) =>
    fleet.devices.map((d) => ({ city: fleet.city, ward: d.ward, kind: d.kind as KindName })),
  );
}

export function generateFleet(catalog: Catalog, count: number, seed = 1): GeneratedDevice[] {
  const pool = mix(catalog);
  const random = createRandom(seed);
  const devices: GeneratedDevice[] = [];
  for (let i = 1; i <= count; i++) {
    const { city, ward, kind } = pool[Math.floor(random.next() * pool.length)]!;
    const id = `gen-${cityCodes[city]}-${ward}-${kind}-${String(i).padStart(6, '0')}`;
    const place = generatedPlace(catalog, id)!;
    devices.push({
      id,
      kind,
      city,
      ward,
      lat: place.lat,
      lon: place.lon,
      zone: kind === 'noise' ? 'normal' : null,
      pole: null,
      name: `Thiết bị mô phỏng ${i} (${catalog.wardName(city, ward)}) / simulated device ${i}`,
    });
  }
  return devices;
}

/** Where a generated device stands: within about a kilometre of its ward's centre, fixed by its id. */
export function generatedPlace(catalog: Catalog, id: string): Place | undefined {
  const match = /^gen-(tn|ha)-([a-z0-9-]+)-(streetlight|environment|noise|fire|waste|camera)-\d+$/.exec(id);
  if (!match) return undefined;
  const city = match[1] === 'tn' ? 'tay-ninh' : 'hoi-an';
  const ward = catalog.fleets.get(city)?.wards.find((w) => w.id === match[2]);
  if (!ward) return undefined;
  const random = createRandom(hashString(id));
  return {
    city,
    ward: ward.id,
    lat: Math.round((ward.lat + random.between(-0.009, 0.009)) * 1e6) / 1e6,
    lon: Math.round((ward.lon + random.between(-0.009, 0.009)) * 1e6) / 1e6,
    zone: match[3] === 'noise' ? 'normal' : undefined,
  };
}
