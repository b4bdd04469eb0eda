// Entry of the `oom-bonker` command: picks the subcommand, turns flags into settings, maps errors to exit codes.
import { collectProblems, ConfigError, EXIT_CONFIG, VERSION, describeSettings, envValue, parseEnv, type Env } from '../contract/index.ts';
import type { Command } from './command.ts';
import { UsageError, parseFlags } from './flags.ts';
import { unknownSettingProblems } from './known-settings.ts';
import { commandHelp } from './settings-help.ts';
import { createLogger } from './logger.ts';

/**
 * Loaded on demand: `oom-bonker device` on a Pi must not pay for aedes, level, hono or prom-client (130 MB RSS with
 * every command imported up front; bench/RESULTS.md, figure 5). Only the help overview loads them all, and the
 * commands import their parts inside run(). `npm run build` (build/bundles.ts) makes one bundle per name here, holding
 * cli/commands/<name>.ts's `<name>Command` alone.
 */
export type CommandTable = Readonly<Record<string, () => Promise<Command>>>;
export const COMMANDS: CommandTable = {
  up: async () => (await import('./commands/up.ts')).upCommand,
  broker: async () => (await import('./commands/broker.ts')).brokerCommand,
  edge: async () => (await import('./commands/edge.ts')).edgeCommand,
  device: async () => (await import('./commands/device.ts')).deviceCommand,
  bonk: async () => (await import('./commands/bonk.ts')).bonkCommand,
  status: async () => (await import('./commands/status.ts')).statusCommand,
  watch: async () => (await import('./commands/watch.ts')).watchCommand,
  'hash-password': async () => (await import('./commands/hash-password.ts')).hashPasswordCommand,
  calibrate: async () => (await import('./commands/calibrate.ts')).calibrateCommand,
};
const EXIT_USAGE = 2;
const loggingShape = describeSettings(
  { BONKER_LOG_LEVEL: envValue.logLevel() },
  { BONKER_LOG_LEVEL: 'fatal, error, warn, info, debug, trace or silent; logs are JSON lines on stdout' },
);

export async function main(argv: string[]): Promise<void> {
  await runCli(COMMANDS, argv);
}

/** `main` over a given table: each command's bundle (build/bundles.ts) passes only its own, so holds no other. */
export async function runCli(commands: CommandTable, argv: string[]): Promise<void> {
  process.exitCode = await run(commands, argv);
  // Services resolve only after closing everything; short commands may leave idle sockets behind.
  if (!['up', 'broker', 'edge', 'device'].includes(argv[0] ?? '')) process.exit();
}

async function run(commands: CommandTable, argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (name === '--version' || name === '-V' || name === 'version') {
    out(`oom-bonker ${VERSION}`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(await overview(commands));
    return name ? 0 : EXIT_USAGE;
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) return usageError(`unknown command "${name}"\n\n${await overview(commands)}`);
  const command = await load();
  try {
    const spec = { ...command, settings: [...Object.keys(command.settings), 'BONKER_LOG_LEVEL'] };
    const flags = parseFlags(rest, spec);
    if (flags.help) {
      out(commandHelp(command, loggingShape));
      return 0;
    }
    const env = { ...process.env, ...flags.settings };
    const logger = createLogger(checkSettings(command, env));
    return await command.run({ env, options: flags.options, out, logger });
  } catch (error) {
    if (error instanceof UsageError) return usageError(`${error.message}\nsee: oom-bonker ${name} --help`);
    if (error instanceof ConfigError) {
      process.stderr.write(`oom-bonker ${name}: ${error.message}\n`);
      return EXIT_CONFIG;
    }
    process.stderr.write(`oom-bonker ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    // An error that knows restarting cannot help (a servo driver this machine lacks) says so with exit code 78 itself.
    return (error as { exitCode?: unknown }).exitCode === EXIT_CONFIG ? EXIT_CONFIG : 1;
  }
}

/**
 * The log level, the command's own settings and misspelt BONKER_* names, checked together so one run reports every
 * problem. Names of other commands' settings pass: one env file may serve `up` and each part.
 */
function checkSettings(command: Command, env: Env): string {
  const problems: string[] = unknownSettingProblems(env);
  const collect = <T>(check: () => T): T | undefined => collectProblems(check, problems);
  const level = collect(() => parseEnv(loggingShape, env).BONKER_LOG_LEVEL);
  collect(() => command.validate?.(env));
  if (problems.length || !level) throw new ConfigError(problems);
  return level;
}

function usageError(message: string): number {
  process.stderr.write(`oom-bonker: ${message}\n`);
  return EXIT_USAGE;
}

async function overview(table: CommandTable): Promise<string> {
  const commands = await Promise.all(Object.values(table).map((load) => load()));
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: oom-bonker <command> [flags]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every setting BONKER_X_Y can also be given as --x-y VALUE. `oom-bonker <command> --help` lists them.',
  ].join('\n');
}

