// The message contract every part imports: topics, payloads, ids, status, and config conventions.
export * from './topics.ts';
export * from './bonk.ts';
export * from './ack.ts';
export * from './status.ts';
export * from './device-state.ts';
export * from './alert-id.ts';
export * from './client-ids.ts';
export * from './version.ts';
export * from './env-config.ts';
export * from './logger.ts';
export * from './with-timeout.ts';
export * from './broker-url.ts';
