// Sums vitest JSON reports into the one line CI reads: "N passed, N failed". A missing report counts as a failure.
import { readFileSync } from 'node:fs';

// Usage: summarize.mjs [--failed N] report.json... (--failed counts checks outside vitest, e.g. the typecheck)
const args = process.argv.slice(2);
let passed = 0;
let failed = 0;
if (args[0] === '--failed') {
  failed += Number(args[1]);
  args.splice(0, 2);
}
for (const file of args) {
  try {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    if (report.numTotalTests === 0 || report.success === false) failed += report.numFailedTests ? 0 : 1;
  } catch (error) {
    console.error(`${file}: no readable test report (${error.message})`);
    failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
