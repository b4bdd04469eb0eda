// Aedes hooks that authenticate users from the users file, bind client ids to users and enforce the ACL, logging every
// refusal (never a password).
import { randomUUID } from 'node:crypto';
import type { AedesOptions, Client } from 'aedes';
import { clientIdRefusal, type Logger } from '../contract/index.ts';
import type { Acl, Principal } from './acl.ts';
import type { RefusalKind } from './metrics.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import type { User } from './users-file.ts';

export interface AuthHooks {
  /** Called by the broker's own preConnect with the CONNECT packet, before aedes assigns ids (see start-broker.ts). */
  inspectConnect(client: Client, packet: { clientId?: string; clean?: boolean }): void;
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
const IDENTIFIER_REJECTED = 2;
const BAD_USERNAME_OR_PASSWORD = 4;

// [MQTT-3.1.3-8]: a zero-byte ClientId with CleanSession 0 MUST get CONNACK 0x02 and the connection closed. Aedes
// instead gives such a client a random id, so its "persistent" session could never be found again.
const EMPTY_ID_PERSISTENT = 'a zero-length client id needs clean session 1 [MQTT-3.1.3-8]; expected a client id';

export function createAuthHooks({ users, acl, logger, onRefused }: AuthDeps): AuthHooks {
  const principals = new WeakMap<Client, Principal>();
  const emptyIdPersistent = new WeakSet<Client>();
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

  const refuseConnect = (
    kind: 'connect' | 'client_id',
    client: Client,
    username: string | undefined,
    reason: string,
    returnCode: number,
    done: Parameters<AuthHooks['authenticate']>[3],
  ) => {
    onRefused(kind);
    logger.warn({ kind, clientId: client.id, username, reason }, `refused ${kind === 'connect' ? 'connect' : 'client id'}`);
    done(Object.assign(new Error(reason), { returnCode: returnCode as never }), false);
  };


  return {
    inspectConnect(client, packet) {
      if (!packet.clientId && packet.clean === false) emptyIdPersistent.add(client);
    },
    authenticate(client, username, password, done) {
      if (users === undefined) {
        if (emptyIdPersistent.has(client)) return refuseConnect('client_id', client, username, EMPTY_ID_PERSISTENT, IDENTIFIER_REJECTED, done);
        principals.set(client, { role: 'anonymous' });
        return done(null, true);
      }
      check(username, password).then(
        (result) => {
          if (typeof result === 'string') return refuseConnect('connect', client, username, result, BAD_USERNAME_OR_PASSWORD, done);
          // Only after the password: a stranger learns nothing about which ids exist. Checked before aedes looks up or
          // takes over the session of that id, so a session is only ever handed to a user it belongs to.
          const wrongId = emptyIdPersistent.has(client) ? EMPTY_ID_PERSISTENT : clientIdRefusal(result, client.id);
          if (wrongId) return refuseConnect('client_id', client, username, wrongId, IDENTIFIER_REJECTED, done);
          principals.set(client, result);
          done(null, true);
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
