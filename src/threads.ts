// Starting a worker thread from one of our TypeScript modules. The app runs under tsx (`--import tsx`),
// whose loader is registered on the main thread only, so a worker registers it itself before
// importing the module, through tsx's public `tsx/esm/api` export (a private path inside the package
// could move in any release). Node's own type stripping is not used: some modules have syntax it
// cannot erase (constructor parameter properties), so a worker on a bare .ts file would fail.
import { Worker } from 'node:worker_threads';

// The ESM build of tsx's API: import.meta.resolve follows the package's "import" condition.
const tsxApi = import.meta.resolve('tsx/esm/api');

/** `name` titles the thread in inspectors and profiles ("[worker 1] name"). */
export function startWorker(module: URL, workerData: unknown, name: string): Worker {
  if (!module.pathname.endsWith('.ts')) return new Worker(module, { workerData, name });
  const code = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}); });`;
  return new Worker(code, { eval: true, workerData, name });
}
