// The dedup store on a real temp directory: persistence, bound, torn lines, unwritable directories.
import { appendFile, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../contract/index.ts';
import { makeTempDir } from '../test/helpers/temp-dir.ts';
import { createDedupStore, DEDUP_FILE, StateDirError } from './dedup-store.ts';

const rec = (id: string, result: 'done' | 'rate_limited' = 'done') => ({ id, result, bonks: 1, at: 1 });

describe('dedup store', () => {
  let dir: { path: string; remove(): Promise<void> };
  const open = (maxEntries = 100) => createDedupStore({ dir: dir.path, maxEntries, logger: silentLogger });
  const fileLines = async () => (await readFile(path.join(dir.path, DEDUP_FILE), 'utf8')).split('\n').filter(Boolean);

  beforeEach(async () => {
    dir = await makeTempDir('bonker-dedup-');
  });
  afterEach(async () => {
    await dir.remove();
  });

  it('remembers ids across a reopen', async () => {
    const store = await open();
    await store.record(rec('a'));
    await store.record(rec('b', 'rate_limited'));
    const again = await open();
    expect(again.get('a')).toEqual(rec('a'));
    expect(again.get('b')?.result).toBe('rate_limited');
    expect(again.get('c')).toBeUndefined();
  });

  it('keeps only the last maxEntries ids and compacts the file past twice that', async () => {
    const store = await open(3);
    for (const id of ['1', '2', '3', '4', '5', '6', '7']) await store.record(rec(id));
    expect(store.size).toBe(3);
    expect(store.get('4')).toBeUndefined();
    expect(store.get('5')).toBeDefined();
    expect((await fileLines()).length).toBeLessThanOrEqual(6);
    const again = await open(3);
    expect(['5', '6', '7'].map((id) => again.get(id)?.id)).toEqual(['5', '6', '7']);
    expect(again.get('4')).toBeUndefined();
  });

  it('tolerates a torn last line and does not glue the next record onto it', async () => {
    const store = await open();
    await store.record(rec('a'));
    await appendFile(path.join(dir.path, DEDUP_FILE), '{"id":"torn","res');
    const again = await open();
    expect(again.get('a')).toBeDefined();
    expect(again.get('torn')).toBeUndefined();
    await again.record(rec('b'));
    const third = await open();
    expect(third.get('b')).toBeDefined();
    expect(await fileLines()).toHaveLength(2);
  });

  it('fails at start with a clear message when the directory cannot be created', async () => {
    const file = path.join(dir.path, 'a-file');
    await writeFile(file, '');
    const opening = createDedupStore({ dir: path.join(file, 'state'), maxEntries: 10, logger: silentLogger });
    await expect(opening).rejects.toThrow(StateDirError);
    await expect(opening).rejects.toThrow(/state directory .*a-file\/state is not writable \(ENOTDIR\); set BONKER_STATE_DIR/);
  });

  it('rejects a record it cannot write (disk full) and does not remember it', async () => {
    const store = await open();
    const file = path.join(dir.path, DEDUP_FILE);
    await rm(file);
    await symlink('/dev/full', file);
    await expect(store.record(rec('x'))).rejects.toThrow(/ENOSPC/);
    expect(store.get('x')).toBeUndefined();
    await rm(file);
    await store.record(rec('y'));
    expect(store.get('y')).toBeDefined();
  });
});
