// Guards the seam to workerd: nothing reachable from the app core may import node:* or a Node-only package.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const NODE_ONLY = /^(node:|mqtt$|prom-client$|pino$|@hono\/node-server|aedes|ws$|level$)/;
const here = path.dirname(fileURLToPath(import.meta.url));
// Every source file of core/; the shared edge case table and its recording publisher run inside workerd too
// (test/workerd), so they count as core.
const CORE_ENTRIES = [
  ...readdirSync(here).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts')),
  '../../test/helpers/edge-cases.ts',
  '../../test/helpers/recording-publisher.ts',
];

/** Every import specifier reachable from `file` through relative imports, with the file that imports it. */
function reachableImports(file: string, seen = new Set<string>()): { from: string; specifier: string }[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  const found: { from: string; specifier: string }[] = [];
  for (const [, specifier] of source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)) {
    if (specifier!.startsWith('.')) found.push(...reachableImports(path.resolve(path.dirname(file), specifier!), seen));
    else found.push({ from: path.relative(here, file), specifier: specifier! });
  }
  return found;
}

describe('edge core', () => {
  it('covers the core (the list is read from the folder)', () => {
    expect(CORE_ENTRIES).toEqual(expect.arrayContaining(['app.ts', 'config.ts', 'publisher.ts', 'metrics.ts', 'to-bonks.ts']));
  });

  it.each(CORE_ENTRIES)('%s reaches no Node-only import', (entry) => {
    const imports = reachableImports(path.join(here, entry));
    expect(imports.filter(({ specifier }) => NODE_ONLY.test(specifier))).toEqual([]);
  });

  it('notices a Node-only import (the check itself works)', () => {
    const imports = reachableImports(path.join(here, '../node/main.ts'));
    expect(imports.some(({ specifier }) => NODE_ONLY.test(specifier))).toBe(true);
  });
});
