// Entry of the `oom-bonker` command: picks the subcommand, turns flags into settings, maps errors to exit codes.
import { ConfigError, EXIT_CONFIG, envValue, parseEnv } from '../contract/index.ts';
import type { Command } from './command.ts';
import { bonkCommand } from './commands/bonk.ts';
import { calibrateCommand } from './commands/calibrate.ts';
import { brokerCommand } from './commands/broker.ts';
import { deviceCommand } from './commands/device.ts';
import { edgeCommand } from './commands/edge.ts';
import { hashPasswordCommand } from './commands/hash-password.ts';
import { statusCommand } from './commands/status.ts';
import { upCommand } from './commands/up.ts';
import { watchCommand } from './commands/watch.ts';
import { UsageError, parseFlags, settingToFlag } from './flags.ts';
import { createLogger } from './logger.ts';

const COMMANDS: readonly Command[] = [
  upCommand, brokerCommand, edgeCommand, deviceCommand, bonkCommand, statusCommand, watchCommand, hashPasswordCommand,
  calibrateCommand,
];
const EXIT_USAGE = 2;
const loggingShape = { BONKER_LOG_LEVEL: envValue.logLevel() };

export async function main(argv: string[]): Promise<void> {
  process.exitCode = await run(argv);
  // Services resolve only after closing everything; short commands may leave idle sockets behind.
  if (!['up', 'broker', 'edge', 'device'].includes(argv[0] ?? '')) process.exit();
}

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(overview());
    return name ? 0 : EXIT_USAGE;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) return usageError(`unknown command "${name}"\n\n${overview()}`);
  try {
    const spec = { ...command, settings: [...command.settings, 'BONKER_LOG_LEVEL'] };
    const flags = parseFlags(rest, spec);
    if (flags.help) {
      out(help(command));
      return 0;
    }
    const env = { ...process.env, ...flags.settings };
    const logger = createLogger(parseEnv(loggingShape, env).BONKER_LOG_LEVEL);
    return await command.run({ env, options: flags.options, out, logger });
  } catch (error) {
    if (error instanceof UsageError) return usageError(`${error.message}\nsee: oom-bonker ${name} --help`);
    if (error instanceof ConfigError) {
      process.stderr.write(`oom-bonker ${name}: ${error.message}\n`);
      return EXIT_CONFIG;
    }
    process.stderr.write(`oom-bonker ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

function usageError(message: string): number {
  process.stderr.write(`oom-bonker: ${message}\n`);
  return EXIT_USAGE;
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: oom-bonker <command> [flags]',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every setting BONKER_X_Y can also be given as --x-y VALUE. `oom-bonker <command> --help` lists them.',
  ].join('\n');
}

function help(command: Command): string {
  const settings = [...command.settings, 'BONKER_LOG_LEVEL'];
  return [
    `usage: ${command.usage}`,
    '',
    `${command.summary}.`,
    settings.length ? '\nsettings (environment variable / flag):' : '',
    ...settings.map((s) => `  ${s.padEnd(34)} ${settingToFlag(s)}`),
  ].join('\n');
}
