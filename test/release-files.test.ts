// The release's own files agree with package.json: the licence it names, a changelog section for its version.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../contract/index.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const read = (file: string) => readFileSync(`${ROOT}${file}`, 'utf8');
const pkg = JSON.parse(read('package.json')) as { version: string; license: string };

describe('release files', () => {
  it('LICENSE is the licence package.json names', () => {
    expect(pkg.license).toBe('MIT');
    const license = read('LICENSE');
    expect(license.split('\n')[0]).toBe('MIT License');
    expect(license).toMatch(/^Copyright \(c\) \d{4} OOM Bonker contributors$/m);
    expect(license).toMatch(/THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND/);
  });

  it('CHANGELOG.md has a dated section for package.json\'s version, newest first', () => {
    const sections = [...read('CHANGELOG.md').matchAll(/^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$/gm)].map((m) => ({ version: m[1]!, date: m[2] }));
    const released = sections.filter((s) => s.version !== 'Unreleased');
    expect(released[0]).toEqual({ version: pkg.version, date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
  });

  it('the code reports package.json\'s version (oom-bonker --version, the edge\'s /healthz)', () => {
    expect(VERSION).toBe(pkg.version);
  });

  it('has release notes for this version', () => {
    expect(read(`docs/release-notes-${pkg.version}.md`)).toMatch(new RegExp(`^# OOM Bonker ${pkg.version.replaceAll('.', '\\.')}`));
  });
});
