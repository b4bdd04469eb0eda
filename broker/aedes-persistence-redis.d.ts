// Types for aedes-persistence-redis 11.2.2, which ships none: the factory takes ioredis options (plus its own).
declare module 'aedes-persistence-redis' {
  const redisPersistence: (opts?: object) => unknown;
  export default redisPersistence;
}
