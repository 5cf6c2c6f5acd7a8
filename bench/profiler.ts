// A CPU profile of this process over a stretch of the run (the steps, not the set-up), through the
// inspector protocol: the same format as `node --cpu-prof`, for bench/profile-top.ts or DevTools.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

export async function startProfiler(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/**
 * Where the process allocates, sampled every 32 KiB (the heap's garbage included, which is what the
 * collector spends its time on): a .heapprofile for DevTools' Memory tab or bench/profile-top.ts.
 */
export async function startHeapSampler(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 32_768,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return {
    async stop(file) {
      const { profile } = await session.post('HeapProfiler.stopSampling');
      await writeFile(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
