// The live layer's encoder: a RawJson argument goes out exactly as socket.io's own encoder would have
// written the parsed value, so stock clients decode it unchanged.
import * as parser from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import { RawJson, rawJsonParser } from '../../src/live/rawJson.ts';

const batch = [
  { deviceId: 'hoi-an-noise-001', ts: '2026-11-29T08:00:00.000Z', metrics: { laeq: 61.5, lamax: 70 } },
  { deviceId: 'hội-an-"quoted"', ts: '2026-11-29T08:00:01.000Z', metrics: { pm25: 12 } },
];

function encodeBoth(nsp: string, data: unknown[]) {
  const stock = new parser.Encoder().encode({ type: parser.PacketType.EVENT, nsp, data });
  const raw = new rawJsonParser.Encoder().encode({
    type: parser.PacketType.EVENT,
    nsp,
    data: [data[0], new RawJson(JSON.stringify(data[1]))],
  });
  return { stock, raw };
}

describe('RawJson encoder', () => {
  it('writes the same packet as the stock encoder, in a namespace and in the root', () => {
    for (const nsp of ['/live', '/']) {
      const { stock, raw } = encodeBoth(nsp, ['telemetry', batch]);
      expect(raw).toEqual(stock);
    }
  });

  it('is decoded by the stock decoder into the original value', () => {
    const [text] = new rawJsonParser.Encoder().encode({
      type: parser.PacketType.EVENT,
      nsp: '/live',
      data: ['telemetry', new RawJson(JSON.stringify(batch))],
    });
    const decoder = new parser.Decoder();
    let decoded: parser.Packet | undefined;
    decoder.on('decoded', (packet: parser.Packet) => {
      decoded = packet;
    });
    decoder.add(text);
    expect(decoded).toMatchObject({
      type: parser.PacketType.EVENT,
      nsp: '/live',
      data: ['telemetry', batch],
    });
  });

  it('leaves every other packet to the stock encoder', () => {
    const packet = { type: parser.PacketType.EVENT, nsp: '/live', data: ['alert', { id: 1 }], id: 7 };
    expect(new rawJsonParser.Encoder().encode(packet)).toEqual(new parser.Encoder().encode(packet));
  });
});
