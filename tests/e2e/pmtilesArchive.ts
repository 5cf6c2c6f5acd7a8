// A small, valid PMTiles v3 archive made here, so the base-map tests need no download: a 127-byte
// header, a root directory, no metadata, and vector tiles hand-encoded as Mapbox Vector Tile protobuf
// (one polygon layer each). Uncompressed, so the browser's reader decodes it with no extra step.
import { zxyToTileId } from 'pmtiles';

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}
const zigzag = (n: number) => (n << 1) ^ (n >> 31);
const field = (number: number, wireType: number) => varint((number << 3) | wireType);
const bytesField = (number: number, payload: number[]) => [
  ...field(number, 2),
  ...varint(payload.length),
  ...payload,
];
const text = (value: string) => [...Buffer.from(value, 'utf8')];

/** A polygon feature whose outer ring is given in tile coordinates (0..4096), clockwise on screen. */
function polygonFeature(ring: [number, number][]): number[] {
  const geometry: number[] = [];
  let [x, y] = [0, 0];
  ring.forEach(([px, py], i) => {
    if (i === 0) geometry.push((1 & 7) | (1 << 3));
    if (i === 1) geometry.push((2 & 7) | ((ring.length - 1) << 3));
    geometry.push(zigzag(px - x), zigzag(py - y));
    [x, y] = [px, py];
  });
  geometry.push((7 & 7) | (1 << 3));
  const packed = geometry.flatMap((n) => varint(n));
  return [...field(3, 0), ...varint(3), ...bytesField(4, packed)];
}

/** One MVT tile: a layer per name, each holding its polygon. */
export function vectorTile(layers: { name: string; ring: [number, number][] }[]): Buffer {
  const tile = layers.flatMap(({ name, ring }) =>
    bytesField(3, [
      ...field(15, 0),
      ...varint(2),
      ...bytesField(1, text(name)),
      ...bytesField(2, polygonFeature(ring)),
      ...field(5, 0),
      ...varint(4096),
    ]),
  );
  return Buffer.from(tile);
}

/** The tile x/y holding a position at a zoom (Web Mercator). */
export function tileAt(lat: number, lon: number, z: number): { z: number; x: number; y: number } {
  const n = 2 ** z;
  const rad = (lat * Math.PI) / 180;
  return {
    z,
    x: Math.floor(((lon + 180) / 360) * n),
    y: Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n),
  };
}

/** An archive of the given tiles (one zoom level), every one stored once, in tile-id order. */
export function pmtilesArchive(tiles: { z: number; x: number; y: number; data: Buffer }[]): Buffer {
  const entries = tiles
    .map((tile) => ({ id: zxyToTileId(tile.z, tile.x, tile.y), data: tile.data }))
    .sort((a, b) => a.id - b.id);
  let offset = 0;
  const placed = entries.map((entry) => {
    const at = offset;
    offset += entry.data.length;
    return { ...entry, offset: at };
  });
  let lastId = 0;
  const directory = Buffer.from([
    ...varint(placed.length),
    ...placed.flatMap((e) => {
      const delta = e.id - lastId;
      lastId = e.id;
      return varint(delta);
    }),
    ...placed.flatMap(() => varint(1)),
    ...placed.flatMap((e) => varint(e.data.length)),
    // An offset right after the previous tile is written as 0; any other as offset + 1.
    ...placed.flatMap((e, i) =>
      i > 0 && e.offset === placed[i - 1]!.offset + placed[i - 1]!.data.length ? [0] : varint(e.offset + 1),
    ),
  ]);
  const metadata = Buffer.from('{}');
  const tileData = Buffer.concat(placed.map((e) => e.data));
  const header = Buffer.alloc(127);
  header.write('PMTiles', 0, 'ascii');
  header.writeUInt8(3, 7);
  const rootOffset = 127;
  const metadataOffset = rootOffset + directory.length;
  const dataOffset = metadataOffset + metadata.length;
  const u64 = (value: number, at: number) => header.writeBigUInt64LE(BigInt(value), at);
  u64(rootOffset, 8);
  u64(directory.length, 16);
  u64(metadataOffset, 24);
  u64(metadata.length, 32);
  u64(dataOffset + tileData.length, 40); // no leaf directories
  u64(0, 48);
  u64(dataOffset, 56);
  u64(tileData.length, 64);
  u64(placed.length, 72);
  u64(placed.length, 80);
  u64(placed.length, 88);
  header.writeUInt8(1, 96); // clustered
  header.writeUInt8(1, 97); // internal compression: none
  header.writeUInt8(1, 98); // tile compression: none
  header.writeUInt8(1, 99); // tile type: MVT
  const zooms = tiles.map((t) => t.z);
  header.writeUInt8(Math.min(...zooms), 100);
  header.writeUInt8(Math.max(...zooms), 101);
  header.writeInt32LE(-180e7, 102);
  header.writeInt32LE(-85e7, 106);
  header.writeInt32LE(180e7, 110);
  header.writeInt32LE(85e7, 114);
  header.writeUInt8(Math.max(...zooms), 118);
  return Buffer.concat([header, directory, metadata, tileData]);
}
