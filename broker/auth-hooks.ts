// Aedes hooks that authenticate users from the users file and enforce the ACL, logging every refusal (never a password).
import { randomUUID } from 'node:crypto';
import type { AedesOptions, Client } from 'aedes';
import type { Logger } from '../contract/index.ts';
import type { Acl, Principal } from './acl.ts';
import type { RefusalKind } from './metrics.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import type { User } from './users-file.ts';

export interface AuthHooks {
  authenticate: NonNullable<AedesOptions['authenticate']>;
  authorizePublish: NonNullable<AedesOptions['authorizePublish']>;
  authorizeSubscribe: NonNullable<AedesOptions['authorizeSubscribe']>;
}

export interface AuthDeps {
  /** undefined = no users file: every client is anonymous (the config allows that only on loopback). */
  users: User[] | undefined;
  acl: Acl;
  logger: Logger;
  onRefused(kind: RefusalKind): void;
}

// MQTT 3.1.1 CONNACK return codes [MQTT-3.2.2.3]; aedes' AuthErrorCode is a const enum, unusable with isolatedModules.
const BAD_USERNAME_OR_PASSWORD = 4;

export function createAuthHooks({ users, acl, logger, onRefused }: AuthDeps): AuthHooks {
  const principals = new WeakMap<Client, Principal>();
  const byName = new Map((users ?? []).map((user) => [user.username, user]));
  // Unknown usernames are checked against a throwaway hash, so timing does not reveal which usernames exist.
  let decoy: Promise<string> | undefined;
  const decoyHash = () => (decoy ??= hashPassword(randomUUID()));

  const refuse = (kind: RefusalKind, client: Client | null, reason: string, extra: object = {}) => {
    onRefused(kind);
    const who = client ? principals.get(client) : undefined;
    const username = who && 'username' in who ? who.username : undefined;
    logger.warn({ kind, clientId: client?.id, username, reason, ...extra }, `refused ${kind}`);
  };

  const check = async (username: string | undefined, password: Buffer | undefined): Promise<User | string> => {
    if (!username || !password) return 'username and password are required';
    const user = byName.get(username);
    const matches = await verifyPassword(password.toString('utf8'), user?.password ?? (await decoyHash()));
    return user && matches ? user : 'bad username or password';
  };

  return {
    authenticate(client, username, password, done) {
      if (users === undefined) {
        principals.set(client, { role: 'anonymous' });
        return done(null, true);
      }
      check(username, password).then(
        (result) => {
          if (typeof result !== 'string') {
            principals.set(client, result);
            return done(null, true);
          }
          onRefused('connect');
          logger.warn({ kind: 'connect', clientId: client.id, username, reason: result }, 'refused connect');
          done(Object.assign(new Error(result), { returnCode: BAD_USERNAME_OR_PASSWORD as never }), false);
        },
        (error: unknown) => done(Object.assign(error as Error, { returnCode: 3 as never }), false),
      );
    },
    authorizePublish(client, packet, done) {
      // Without a client it is the broker itself publishing (no hook call in aedes 1.2.0, but the type allows it).
      const who: Principal | undefined = client ? principals.get(client) : { role: 'anonymous' };
      const verdict = who ? acl.canPublish(who, packet.topic) : { allowed: false as const, reason: 'not authenticated' };
      if (verdict.allowed) return done(null);
      refuse('publish', client, verdict.reason, { topic: packet.topic });
      // MQTT 3.1.1 cannot refuse one PUBLISH; aedes closes the connection on this error.
      done(new Error(verdict.reason));
    },
    authorizeSubscribe(client, subscription, done) {
      const who = principals.get(client);
      const verdict = who ? acl.canSubscribe(who, subscription.topic) : { allowed: false as const, reason: 'not authenticated' };
      if (verdict.allowed) return done(null, subscription);
      refuse('subscribe', client, verdict.reason, { topic: subscription.topic });
      // A null subscription is answered with SUBACK 0x80 (failure) [MQTT-3.9.3], and the connection stays up.
      done(null, null);
    },
  };
}
