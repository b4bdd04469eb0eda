// The release this code is: shown by `oom-bonker --version` and the edge's /healthz (test/release-files.test.ts keeps it
// equal to package.json's "version"). A constant rather than a read of package.json: the Worker has no file system.
export const VERSION = '0.2.0';
