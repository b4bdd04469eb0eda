// The broker's LevelDB directory (BONKER_DATA_DIR): opened by one process at a time. A second broker or `up` started
// on the same directory is told so, with the holder's pid, instead of LevelDB's bare "Database failed to open".
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Level } from 'level';

/** Written beside LevelDB's own files once the lock is ours; LevelDB leaves files it does not know alone. */
export const PID_FILE = 'oom-bonker.pid';

export class DataDirInUseError extends Error {
  constructor(readonly dir: string, readonly holderPid: number | undefined) {
    const holder = holderPid ? ` by another process (pid ${holderPid})` : ' by another process';
    super(
      `data directory ${dir} is in use${holder}: LevelDB's lock ${path.join(dir, 'LOCK')} is held. ` +
        'Stop the other `oom-bonker broker` or `oom-bonker up` using it, or give this one its own directory with ' +
        'BONKER_DATA_DIR (--data-dir)',
    );
    this.name = 'DataDirInUseError';
  }
}

/** Opens (creating) the LevelDB in `dir`; throws DataDirInUseError when another process holds it. */
export async function openLevelDataDir(dir: string): Promise<Level> {
  const { Level } = await import('level');
  const absolute = path.resolve(dir);
  await mkdir(absolute, { recursive: true });
  const db = new Level(absolute);
  try {
    await db.open();
  } catch (error) {
    // classic-level: code LEVEL_DATABASE_NOT_OPEN, with the reason (LEVEL_LOCKED) as its cause.
    if ((error as { cause?: { code?: string } }).cause?.code !== 'LEVEL_LOCKED') throw error;
    throw new DataDirInUseError(absolute, await livingHolder(absolute));
  }
  // Best effort: without it the message just leaves the pid out.
  await writeFile(path.join(absolute, PID_FILE), `${process.pid}\n`).catch(() => {});
  return db;
}

/** The pid in the pid file, if that process is alive (a stale file from a crashed broker names nobody). */
async function livingHolder(dir: string): Promise<number | undefined> {
  const pid = Number((await readFile(path.join(dir, PID_FILE), 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as { code?: string }).code === 'EPERM' ? pid : undefined;
  }
}
