// A CPU profile of this process over a stretch of the run (the steps, not the set-up), through the
// inspector protocol: the same format as `node --cpu-prof`, for bench/profile-top.ts or DevTools.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { inspectThread } from './threadInspector.ts';

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
 * A CPU profile of one of this process's worker threads (the broker's: the main thread's profile
 * does not sample it), in the same format.
 */
export async function startThreadProfiler(name: string): Promise<{ stop(file: string): Promise<void> }> {
  const thread = await inspectThread(name);
  await thread.post('Profiler.enable');
  await thread.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await thread.post<{ profile: unknown }>('Profiler.stop');
      await writeFile(file, JSON.stringify(profile));
      thread.detach();
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
