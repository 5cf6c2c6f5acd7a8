// npx tsx bench/profile-top.ts <file.cpuprofile> [--top 25]
// Where the time went in a `node --cpu-prof` profile (e.g. of `node --import tsx --cpu-prof
// bench/run.ts ...`): self time per function and per package or source file, as percentages of
// the samples, for the before/after notes of a hot-path change.
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
  options: { top: { type: 'string', default: '25' } },
});
const top = Number(values.top);
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};

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
