// Simulated time: the instant a device stamps on its readings. At --speed 60 a minute of the city
// passes every real second. An accelerated replay is anchored in the past so that it ends at the real
// present and never sends a ts the IOC would refuse as being in the future.
export interface SimClock {
  now(): number;
  speed: number;
  /** Real milliseconds until `simMs` of simulated time have passed. */
  realDelay(simMs: number): number;
}

export function createClock(startMs: number, speed: number, realStart = Date.now()): SimClock {
  return {
    speed,
    now: () => startMs + (Date.now() - realStart) * speed,
    realDelay: (simMs) => Math.max(0, simMs / speed),
  };
}

const dayMs = 86_400_000;
const vietnamOffsetMs = 7 * 3_600_000;

/**
 * Where a replay of `durationMs` at `speed` starts in simulated time so that it ends no later than the
 * real end. With `localTime` ("HH:MM" in Asia/Ho_Chi_Minh), the latest such start at that time of day:
 * a night-time scenario replays last night.
 */
export function replayStart(
  durationMs: number,
  speed: number,
  localTime: string | undefined,
  realNow = Date.now(),
): number {
  const latest = realNow + durationMs / speed - durationMs;
  if (!localTime) return latest;
  const [hours, minutes] = localTime.split(':').map(Number) as [number, number];
  const offset = (hours * 60 + minutes) * 60_000;
  const localDay = Math.floor((latest + vietnamOffsetMs) / dayMs) * dayMs - vietnamOffsetMs;
  const start = localDay + offset;
  return start <= latest ? start : start - dayMs;
}
