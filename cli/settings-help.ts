// `oom-bonker <command> --help`: usage, then each setting with its flag, default and meaning, all read from the
// settings' schemas (their `.describe()` text and `.default()`), so the help cannot drift from what is parsed.
import { settingDefault } from '../contract/index.ts';
import type { Command, SettingsShape } from './command.ts';
import { settingToFlag } from './flags.ts';

export function commandHelp(command: Command, common: SettingsShape): string {
  const settings = Object.entries({ ...command.settings, ...common });
  return [
    `usage: ${command.usage}`,
    '',
    `${command.summary}.`,
    ...(settings.length ? ['', 'settings (environment variable, flag, default; below, what it means):'] : []),
    ...settings.flatMap(([name, schema]) => {
      const fallback = settingDefault(schema);
      return [
        `  ${name}  ${settingToFlag(name)}  ${fallback === undefined ? '(no default)' : `default ${fallback}`}`,
        `      ${schema.description ?? ''}`,
      ];
    }),
  ].join('\n');
}
