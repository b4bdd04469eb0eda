// Configuration from BONKER_* variables, validated by one zod schema per process; every problem reported at once.
import * as z from 'zod';

export type Env = Readonly<Record<string, string | undefined>>;

/** Exit code for bad configuration: systemd's RestartPreventExitStatus=78 stops a crash loop on it (EX_CONFIG). */
export const EXIT_CONFIG = 78;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Runs `load`; a ConfigError's problems join `problems` and undefined comes back, so a caller can report every
 * problem of several checks at once. Anything else is thrown as it is.
 */
export function collectProblems<T>(load: () => T, problems: string[]): T | undefined {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
    return undefined;
  }
}

/**
 * Validates the variables named by the shape's keys. Empty strings count as unset, so `BONKER_X=` means default.
 * Throws ConfigError listing `BONKER_X: what is wrong` for every bad variable.
 */
export function parseEnv<S extends z.ZodRawShape>(shape: S, env: Env): z.infer<z.ZodObject<S>> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = z.object(shape).safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => `${issue.path.join('.') || '(config)'}: ${issue.message}`),
  );
}

/**
 * Gives every setting of a shape its meaning (`.describe()`), the one text `oom-bonker <command> --help` shows.
 * `meanings` must name exactly the shape's keys, so a new setting cannot be added without one.
 */
export function describeSettings<S extends Record<string, z.ZodType>>(shape: S, meanings: { [K in keyof S]: string }): S {
  return Object.fromEntries(Object.entries(shape).map(([name, schema]) => [name, schema.describe(meanings[name]!)])) as S;
}

/** The default a setting's schema fills in, as text (`8080`, `mqtt://127.0.0.1:1883`); undefined when it has none. */
export function settingDefault(schema: z.ZodType): string | undefined {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  switch (def.type) {
    case 'default': {
      const value = typeof def.defaultValue === 'function' ? (def.defaultValue as () => unknown)() : def.defaultValue;
      return Array.isArray(value) ? value.join(',') : String(value);
    }
    case 'pipe':
      return settingDefault(def.in as z.ZodType);
    case 'optional':
    case 'nullable':
      return settingDefault(def.innerType as z.ZodType);
    default:
      return undefined;
  }
}

/** Building blocks with messages that say what is expected. */
export const envValue = {
  port: (fallback: number) =>
    z.coerce
      .number({ error: 'expected a TCP port number 0-65535' })
      .int('expected a TCP port number 0-65535')
      .min(0, 'expected a TCP port number 0-65535')
      .max(65535, 'expected a TCP port number 0-65535')
      .default(fallback),
  positiveInt: (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce
      .number({ error: `expected a whole number 1-${max}` })
      .int(`expected a whole number 1-${max}`)
      .min(1, `expected a whole number 1-${max}`)
      .max(max, `expected a whole number 1-${max}`)
      .default(fallback),
  nonNegativeInt: (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce
      .number({ error: `expected a whole number 0-${max}` })
      .int(`expected a whole number 0-${max}`)
      .min(0, `expected a whole number 0-${max}`)
      .max(max, `expected a whole number 0-${max}`)
      .default(fallback),
  host: (fallback: string) => z.string().min(1, 'expected a host name or IP address').default(fallback),
  mqttUrl: (fallback: string) =>
    z
      .string()
      .regex(/^(mqtts?|wss?|tcp|tls):\/\/[^\s]+$/, 'expected a broker URL such as mqtt://127.0.0.1:1883 or wss://host/mqtt')
      .default(fallback),
  logLevel: () =>
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'expected one of fatal, error, warn, info, debug, trace, silent',
    }).default('info'),
} as const;

/** True for addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
