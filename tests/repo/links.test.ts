// The documentation stands alone: every relative link in a Markdown file reaches a file of the
// repository (and, for a Markdown target, a heading of it), and neither the docs nor the sources point
// readers at material outside the repository or at a tracker's numbers they cannot open.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(new URL('../../', import.meta.url).pathname);
const thisFile = relative(root, new URL(import.meta.url).pathname);

/** Folders that hold no documentation of ours: dependencies, runtime data, git, generated reports. */
const skippedFolders = new Set(['node_modules', 'data', '.git', 'test-results', 'coverage', 'dist']);
const sourceFolders = [
  'src',
  'tests',
  'scripts',
  'bench',
  'simulators',
  'migrations',
  'devices',
  'dashboards',
  'deploy',
];
const sourceExtensions = /\.(ts|mts|cts|js|mjs|cjs|json|md|sh|sql|html|css|ya?ml)$/;

function walk(folder: string, keep: (path: string) => boolean, found: string[] = []): string[] {
  if (!existsSync(folder)) return found;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (!skippedFolders.has(entry.name)) walk(path, keep, found);
    } else if (entry.isFile() && keep(path)) found.push(path);
  }
  return found;
}

const markdownFiles = walk(root, (path) => path.endsWith('.md'));

/** A fenced code block, closed by the same fence at the same indentation. */
const fencedBlock = /^([ \t]*)(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1\2[^\n]*$/gm;

/** The text outside fenced code blocks and inline code, where a link is a link. */
function prose(markdown: string): string {
  return markdown.replace(fencedBlock, '').replace(/`[^`\n]*`/g, '');
}

/** Relative link targets of a Markdown file: inline links, images and reference definitions. */
function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const targets: string[] = [];
  for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]!);
  for (const m of text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) targets.push(m[1]!);
  return targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*_~]/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
}

const anchorsOf = new Map<string, Set<string>>();
function anchors(file: string): Set<string> {
  let known = anchorsOf.get(file);
  if (known) return known;
  known = new Set();
  const seen = new Map<string, number>();
  const text = readFileSync(file, 'utf8').replace(fencedBlock, '');
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    known.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) known.add(m[1]!);
  anchorsOf.set(file, known);
  return known;
}

/** What is wrong with one link of `file`, or undefined when it resolves. */
function brokenLink(file: string, target: string): string | undefined {
  const [pathPart = '', anchor] = target.split('#', 2) as [string, string | undefined];
  let path: string;
  try {
    path = pathPart === '' ? file : resolve(dirname(file), decodeURIComponent(pathPart));
  } catch {
    return 'not a valid link';
  }
  if (!existsSync(path)) return 'no such file';
  if (anchor === undefined || anchor === '' || !path.endsWith('.md') || statSync(path).isDirectory())
    return undefined;
  return anchors(path).has(decodeURIComponent(anchor).toLowerCase()) ? undefined : `no heading #${anchor}`;
}

const forbidden: Array<{ pattern: RegExp; why: string }> = [
  { pattern: /\.\.\/shared\b/, why: 'a folder outside the repository' },
  { pattern: /(?<![\w$-])shared\//, why: 'a folder outside the repository' },
  { pattern: /\bDESIGN\.md\b/, why: 'a design document outside the repository' },
  { pattern: /\bissues?\s+#?\d+/i, why: 'an issue number readers cannot open' },
];

function forbiddenReferences(file: string): string[] {
  const found: string[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      for (const { pattern, why } of forbidden) {
        const m = pattern.exec(line);
        if (m) found.push(`${relative(root, file)}:${i + 1}: "${m[0]}" (${why})`);
      }
    });
  return found;
}

describe('documentation links', () => {
  it('finds the Markdown of the repository', () => {
    expect(markdownFiles.map((f) => relative(root, f))).toContain('README.md');
  });

  it('has no broken relative link or heading anchor in any Markdown file', () => {
    const broken: string[] = [];
    for (const file of markdownFiles) {
      for (const target of linkTargets(readFileSync(file, 'utf8'))) {
        const problem = brokenLink(file, target);
        if (problem) broken.push(`${relative(root, file)}: ${target} (${problem})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('cites no outside design notes, shared folders or issue numbers in docs and sources', () => {
    const sources = sourceFolders.flatMap((folder) =>
      walk(join(root, folder), (path) => sourceExtensions.test(path)),
    );
    const files = [...new Set([...markdownFiles, ...sources])].filter(
      (file) => relative(root, file) !== thisFile,
    );
    expect(files.flatMap(forbiddenReferences)).toEqual([]);
  });
});
