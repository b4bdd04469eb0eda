// Writes a broker users file for tests: every user with the same password, hashed the way the broker expects.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashPassword } from '../../broker/passwords.ts';

export type TestUser = { username: string; role: 'edge' | 'viewer' | 'admin' } | { username: string; role: 'device'; device: string };

/** `users.json` in `dir`; returns its path, for BONKER_USERS_FILE. */
export async function writeUsersFile(dir: string, password: string, users: TestUser[]): Promise<string> {
  const hash = await hashPassword(password);
  const path = join(dir, 'users.json');
  await writeFile(path, JSON.stringify({ users: users.map((user) => ({ ...user, password: hash })) }));
  return path;
}

/** A device user named after its device, the way the tests name them. */
export const deviceUser = (device: string): TestUser => ({ username: device, role: 'device', device });
