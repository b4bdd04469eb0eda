#!/usr/bin/env node
// The `oom-bonker` command: runs the JavaScript `npm run build` made, dist/cli/<command>.cjs, which holds that one
// command (dist/cli/oom-bonker.cjs, every command, for help and unknown names). No TypeScript is compiled here.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadBundle } from './code-cache.js';

const CLI_DIR = fileURLToPath(new URL('../dist/cli/', import.meta.url));
const argv = process.argv.slice(2);
const own = /^[a-z][a-z-]*$/.test(argv[0] ?? '') ? `${CLI_DIR}${argv[0]}.cjs` : undefined;
const bundle = own && existsSync(own) ? own : `${CLI_DIR}oom-bonker.cjs`;
if (!existsSync(bundle)) {
  process.stderr.write(
    `oom-bonker: ${bundle} is missing: run \`npm run build\` in ${fileURLToPath(new URL('..', import.meta.url))}` +
      ' (npm ci runs it; with --omit=dev, build where the dev dependencies are and copy dist/ over)\n',
  );
  process.exit(1);
}
await loadBundle(bundle).run(argv);
