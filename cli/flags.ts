// Command-line parsing: every BONKER_X_Y setting is also the flag --x-y; a few commands add their own flags.
import { closestName } from './closest-name.ts';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedFlags {
  /** BONKER_* overrides taken from flags, applied over the environment. */
  settings: Record<string, string>;
  /** Command-specific options (`--device tux`, `--wait`). */
  options: Record<string, string | true>;
  help: boolean;
}

function suggestion(name: string, spec: { settings: readonly string[]; options?: readonly string[]; booleans?: readonly string[] }) {
  const flags = [...(spec.options ?? []), ...(spec.booleans ?? []), ...spec.settings.map((s) => settingToFlag(s).slice(2))];
  const near = closestName(name, flags);
  return near ? `; did you mean --${near}?` : '';
}

export function flagToSetting(flag: string): string {
  return `BONKER_${flag.replace(/-/g, '_').toUpperCase()}`;
}

export function settingToFlag(name: string): string {
  return `--${name.replace(/^BONKER_/, '').toLowerCase().replace(/_/g, '-')}`;
}

/**
 * `--name value`, `--name=value`, and `--name` alone for the boolean options listed in `booleans`.
 * Names that are neither a known setting nor an option of the command are a usage error, never ignored.
 */
export function parseFlags(
  argv: string[],
  spec: { settings: readonly string[]; options?: readonly string[]; booleans?: readonly string[] },
): ParsedFlags {
  const parsed: ParsedFlags = { settings: {}, options: {}, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      parsed.help = true;
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    if (spec.booleans?.includes(name)) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      parsed.options[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    if (spec.options?.includes(name)) parsed.options[name] = value;
    else if (spec.settings.includes(flagToSetting(name))) parsed.settings[flagToSetting(name)] = value;
    else throw new UsageError(`unknown flag --${name}${suggestion(name, spec)}`);
  }
  return parsed;
}
