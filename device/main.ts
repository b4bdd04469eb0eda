// Entry of the shipped device agent: `oom-bonker device` alone. `npm run build:device` bundles it into
// dist/device/oom-bonker-device.js, which the systemd unit runs with plain `node` (no TypeScript loader, no other command).
import { deviceCommand } from '../cli/commands/device.ts';
import { runCli } from '../cli/main.ts';

await runCli({ device: async () => deviceCommand }, ['device', ...process.argv.slice(2)]);
