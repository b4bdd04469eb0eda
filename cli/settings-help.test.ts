// --help is read from the schemas: every setting of every command has a meaning, and its default is the parsed one.
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../contract/index.ts';
import { COMMANDS } from './main.ts';
import { commandHelp } from './settings-help.ts';

describe('settings help', () => {
  it('gives every setting of every command a meaning', async () => {
    for (const load of Object.values(COMMANDS)) {
      const command = await load();
      for (const [name, schema] of Object.entries(command.settings)) {
        expect(schema.description, `${command.name} ${name}`).toMatch(/\w{3,}/);
      }
    }
  });

  it('shows the default the schema applies, and says when there is none', async () => {
    const edge = await COMMANDS.edge!();
    const text = commandHelp(edge, {});
    const parsed = parseEnv(edge.settings as Record<string, never>, {}) as Record<string, unknown>;
    expect(text).toContain(`  BONKER_EDGE_PORT  --edge-port  default ${String(parsed.BONKER_EDGE_PORT)}\n      HTTP port of the webhook`);
    expect(text).toMatch(/ {2}BONKER_EDGE_TOKEN {2}--edge-token {2}\(no default\)\n {6}bearer token/);
  });
});
