// What the operator sees while a simulation runs: on a terminal one line rewritten every second
// (connected devices, messages and readings per second, errors); in a log, a line every 5 s.
import type { RunningFleet } from './fleet.ts';

export function startProgress(fleet: RunningFleet, total: number, simNow: () => number): () => void {
  const tty = process.stdout.isTTY === true;
  let last = { at: Date.now(), published: 0, readings: 0 };
  const timer = setInterval(
    () => {
      const now = Date.now();
      const s = fleet.stats;
      const seconds = (now - last.at) / 1000;
      const rate = (s.published - last.published) / seconds;
      const readings = (s.readings - last.readings) / seconds;
      last = { at: now, published: s.published, readings: s.readings };
      const line =
        `${new Date(simNow()).toISOString().slice(0, 19)}Z  connected ${fleet.connected()}/${total}  ` +
        `${rate.toFixed(1)} msg/s  ${readings.toFixed(1)} readings/s  published ${s.published}  acked ${s.acknowledged}  ` +
        `commands ${s.commands}  errors ${s.errors}  dropped ${s.dropped}  reconnects ${s.reconnects}`;
      process.stdout.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
    },
    tty ? 1_000 : 5_000,
  );
  return () => {
    clearInterval(timer);
    if (tty) process.stdout.write('\n');
  };
}
