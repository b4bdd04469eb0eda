// What a CLI subcommand is: its help text, the settings and flags it accepts, and what it runs.
import type { ZodType } from 'zod';
import type { Env, Logger } from '../contract/index.ts';

/** BONKER_* settings by name, each schema carrying its default and (`.describe()`) its meaning for --help. */
export type SettingsShape = Readonly<Record<string, ZodType>>;

export interface CommandContext {
  env: Env;
  options: Record<string, string | true>;
  /** Plain text for humans (banners, results); logs go through the logger. */
  out: (line: string) => void;
  logger: Logger;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** BONKER_* settings this command reads; each is also a flag (--x-y). */
  settings: SettingsShape;
  options?: readonly string[];
  booleans?: readonly string[];
  /** Throws ConfigError listing every bad setting; run before anything starts (with the log level's check). */
  validate?(env: Env): void;
  /** Resolves with the exit code; long-running services resolve once stopped. */
  run(ctx: CommandContext): Promise<number>;
}
