// Writes dashboards/console/alarm.wav: the console's alarm, 0.8 s of two alternating tones (960 and
// 640 Hz, a quarter second each, then a pause) that the console loops until the alert is acknowledged.
// 8 kHz, 8-bit mono PCM keeps it a few kilobytes and playable by every browser without a decoder.
import { writeFileSync } from 'node:fs';

const rate = 8_000;
const tone = (hz: number, seconds: number) =>
  Array.from({ length: Math.round(rate * seconds) }, (_, i) => {
    // A square-ish wave cuts through a noisy room better than a sine; the short ramp avoids clicks.
    const ramp = Math.min(1, i / 80, (rate * seconds - i) / 80);
    return 128 + Math.round(100 * ramp * Math.tanh(4 * Math.sin((2 * Math.PI * hz * i) / rate)));
  });
const samples = [
  ...tone(960, 0.25),
  ...tone(640, 0.25),
  ...tone(960, 0.25),
  ...new Array(rate * 0.05).fill(128),
];
const header = Buffer.alloc(44);
header.write('RIFF', 0);
header.writeUInt32LE(36 + samples.length, 4);
header.write('WAVEfmt ', 8);
header.writeUInt32LE(16, 16);
header.writeUInt16LE(1, 20); // PCM
header.writeUInt16LE(1, 22); // mono
header.writeUInt32LE(rate, 24);
header.writeUInt32LE(rate, 28); // bytes per second
header.writeUInt16LE(1, 32);
header.writeUInt16LE(8, 34);
header.write('data', 36);
header.writeUInt32LE(samples.length, 40);
writeFileSync(
  new URL('../dashboards/console/alarm.wav', import.meta.url),
  Buffer.concat([header, Buffer.from(samples)]),
);
