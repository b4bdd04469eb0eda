// `oom-bonker hash-password`: turn a password read from stdin into the hash the users file stores.
import { hashPassword } from '../../broker/passwords.ts';
import type { Command } from '../command.ts';
import { UsageError } from '../flags.ts';

export const hashPasswordCommand: Command = {
  name: 'hash-password',
  summary: 'hash a password (read from stdin) for BONKER_USERS_FILE',
  usage: "oom-bonker hash-password < file   (or: printf '%s' \"$PASSWORD\" | oom-bonker hash-password)",
  settings: {},
  async run({ out }) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    // Read from stdin, not argv, so the password stays out of shell history and `ps`.
    const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
    if (password.length < 8) throw new UsageError('expected a password of at least 8 characters on stdin');
    out(await hashPassword(password));
    return 0;
  },
};
