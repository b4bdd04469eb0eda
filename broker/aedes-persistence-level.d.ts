// Types for aedes-persistence-level 9.2.0, which ships none: the factory takes an abstract-level database.
declare module 'aedes-persistence-level' {
  const levelPersistence: (db: unknown) => unknown;
  export default levelPersistence;
}
