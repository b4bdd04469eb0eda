// The users file (JSON): who may connect, with which role; validated by zod, every problem named with its path.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, deviceIdSchema } from '../contract/index.ts';
import { isPasswordHash } from './passwords.ts';

export const ROLES = ['edge', 'device', 'admin', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const passwordHashSchema = z
  .string()
  .refine(isPasswordHash, 'expected a hash made by hashPassword (scrypt$N=...$salt$key), not a plain-text password');
const deviceSchema = z.string({ error: 'expected "device": the id of the device this user is' }).pipe(deviceIdSchema);
const usernameSchema = z.string().min(1, 'expected a non-empty username').max(256);

const userSchema = z.discriminatedUnion(
  'role',
  [
    z.strictObject({ username: usernameSchema, role: z.literal('device'), device: deviceSchema, password: passwordHashSchema }),
    z.strictObject({ username: usernameSchema, role: z.literal('edge'), password: passwordHashSchema }),
    z.strictObject({ username: usernameSchema, role: z.literal('admin'), password: passwordHashSchema }),
    z.strictObject({ username: usernameSchema, role: z.literal('viewer'), password: passwordHashSchema }),
  ],
  { error: `expected "role" to be one of ${ROLES.join(', ')}` },
);

const usersFileSchema = z.strictObject({ users: z.array(userSchema) });

/** Duplicates are checked on the raw entries, so they are reported alongside other problems in the same file. */
function duplicateUsernames(json: unknown): string[] {
  const users = (json as { users?: unknown })?.users;
  if (!Array.isArray(users)) return [];
  const seen = new Set<string>();
  const problems: string[] = [];
  users.forEach((user: unknown, index) => {
    const name = (user as { username?: unknown })?.username;
    if (typeof name !== 'string') return;
    if (seen.has(name)) problems.push(`users.${index}.username: duplicate username "${name}"`);
    seen.add(name);
  });
  return problems;
}

export type User = z.infer<typeof userSchema>;

/** Validates the file's text; `source` names it in errors, e.g. `BONKER_USERS_FILE (/etc/bonker/users.json)`. */
export function parseUsersFile(text: string, source: string): User[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`${source}: not valid JSON (${(error as Error).message}); expected {"users": [...]}`]);
  }
  const result = usersFileSchema.safeParse(json);
  const problems = [
    ...(result.success ? [] : result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)),
    ...duplicateUsernames(json),
  ];
  if (result.success && problems.length === 0) return result.data.users;
  throw new ConfigError(problems.map((problem) => `${source}: ${problem}`));
}

export function readUsersFile(path: string, variable = 'BONKER_USERS_FILE'): User[] {
  const source = `${variable} (${path})`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`${source}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); expected a readable JSON file`]);
  }
  return parseUsersFile(text, source);
}
