// npx tsx bench/profile-top.ts <file.cpuprofile | file.heapprofile> [--top 25] [--stalls 5]
// Where the time went in a `node --cpu-prof` profile (e.g. of `node --import tsx --cpu-prof
// bench/run.ts ...`): self time per function and per package or source file, as percentages of
// the samples, for the before/after notes of a hot-path change. --stalls N: the N longest stretches
// without an idle sample (the event loop never waited: every timer and socket was late by that much),
// each with the frames that were on the stack for most of it. A .heapprofile (bench --heap-profile):
// bytes allocated per function and per package or file, as shares of all that was sampled.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, stalls: { type: 'string', default: '0' } },
});
const top = Number(values.top);
const parsed = JSON.parse(readFileSync(positionals[0]!, 'utf8'));
if ('head' in parsed) {
  showAllocations(parsed.head as AllocationNode);
  process.exit(0);
}
const profile = parsed as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfTime = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
// Percentages are of the busy time: the process idling (waiting for PostgreSQL, say) is shown apart.
let idle = 0;
for (const [id, time] of selfTime) if (byId.get(id)!.callFrame.functionName === '(idle)') idle += time;
const all = [...selfTime.values()].reduce((a, b) => a + b, 0);
const total = all - idle;

function where(url: string): string {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const module = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (module) return module[1]!;
  const own = path.match(/\/(src|bench|scripts)\/.*$/);
  return own ? own[0].slice(1) : path.startsWith('node:') ? path : path.split('/').slice(-2).join('/');
}

const functions = new Map<string, number>();
const places = new Map<string, number>();
for (const [id, time] of selfTime) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  if (functionName === '(idle)') continue;
  const place = where(url);
  const name = `${functionName || '(anonymous)'} ${place}${url ? `:${lineNumber + 1}` : ''}`;
  functions.set(name, (functions.get(name) ?? 0) + time);
  places.set(place, (places.get(place) ?? 0) + time);
}

const show = (title: string, entries: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, time] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((time / total) * 100).toFixed(1).padStart(5)} %  ${name}`);
  }
};
console.log(
  `${(all / 1e6).toFixed(1)} s sampled, ${((idle / all) * 100).toFixed(1)} % idle; shares of the busy time:`,
);
show('self time by function', functions);
show('self time by package or file', places);

const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const label = (id: number) => {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  return `${functionName || '(anonymous)'} ${where(url)}${url ? `:${lineNumber + 1}` : ''}`;
};
const stallCount = Number(values.stalls);
if (stallCount > 0) {
  // Inclusive time of each frame within each stretch of busy samples.
  const stretches: Array<{ ms: number; frames: Map<string, number> }> = [];
  let current: { ms: number; frames: Map<string, number> } | undefined;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (byId.get(id)!.callFrame.functionName === '(idle)') {
      if (current) stretches.push(current);
      current = undefined;
      return;
    }
    current ??= { ms: 0, frames: new Map() };
    current.ms += ms;
    const seen = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parentOf.get(node)) {
      const name = label(node);
      if (name.startsWith('(root)') || seen.has(name)) continue;
      seen.add(name);
      current.frames.set(name, (current.frames.get(name) ?? 0) + ms);
    }
  });
  if (current) stretches.push(current);
  console.log(`\nlongest busy stretches (the event loop never idle)`);
  for (const stretch of stretches.sort((a, b) => b.ms - a.ms).slice(0, stallCount)) {
    console.log(`${stretch.ms.toFixed(0)} ms:`);
    for (const [name, ms] of [...stretch.frames].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
      console.log(`${ms.toFixed(0).padStart(8)} ms  ${name}`);
    }
  }
}

interface AllocationNode {
  callFrame: ProfileNode['callFrame'];
  selfSize: number;
  children: AllocationNode[];
}

function showAllocations(head: AllocationNode) {
  const functions = new Map<string, number>();
  const places = new Map<string, number>();
  let total = 0;
  const visit = (node: AllocationNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const place = where(url);
    const name = `${functionName || '(anonymous)'} ${place}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + node.selfSize);
    places.set(place, (places.get(place) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) visit(child);
  };
  visit(head);
  console.log(
    `${(total / 1_048_576).toFixed(0)} MiB allocated in the samples; shares by where it was allocated:`,
  );
  for (const [title, entries] of [
    ['by function', functions],
    ['by package or file', places],
  ] as const) {
    console.log(`\n${title}`);
    for (const [name, bytes] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${((bytes / total) * 100).toFixed(1).padStart(5)} %  ${name}`);
    }
  }
}
