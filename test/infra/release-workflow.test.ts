// .github/workflows/release-image.yml cannot run here (no Docker engine, no registry): its structure is checked
// instead, and the action inputs against the actions' own action.yml of the pinned major versions.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import type { Doc } from './infra-files.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const document = parseDocument(readFileSync(`${ROOT}.github/workflows/release-image.yml`, 'utf8'));
const workflow = document.toJS() as Doc;
const steps = workflow.jobs.image.steps as Doc[];
const step = (action: string) => {
  const found = steps.find((s) => String(s.uses).split('@')[0] === action);
  if (!found) throw new Error(`no step uses ${action}`);
  return found;
};

/**
 * Inputs of each action at the major version used, as its action.yml lists them (checkout v6, setup-qemu v4,
 * setup-buildx v4, login v4, metadata v6, build-push v7): a misspelt input is ignored by Actions with a warning only.
 */
const INPUTS: Record<string, string[]> = {
  'docker/login-action': ['registry', 'username', 'password', 'ecr', 'scope', 'logout', 'registry-auth'],
  'docker/metadata-action': ['context', 'images', 'tags', 'flavor', 'labels', 'annotations', 'sep-tags', 'sep-labels', 'sep-annotations', 'bake-target', 'github-token'],
  'docker/build-push-action': [
    'add-hosts', 'allow', 'annotations', 'attests', 'build-args', 'build-contexts', 'builder', 'cache-from', 'cache-to', 'call',
    'cgroup-parent', 'context', 'file', 'labels', 'load', 'network', 'no-cache', 'no-cache-filters', 'outputs', 'platforms',
    'provenance', 'pull', 'push', 'sbom', 'secrets', 'secret-envs', 'secret-files', 'shm-size', 'ssh', 'tags', 'target', 'ulimit',
    'github-token',
  ],
};

describe('.github/workflows/release-image.yml', () => {
  it('parses without a warning', () => {
    expect([...document.errors, ...document.warnings].map((e) => e.message)).toEqual([]);
  });

  it('runs on pushed tags v* only', () => {
    expect(workflow.on).toEqual({ push: { tags: ['v*'] } });
  });

  it('lets GITHUB_TOKEN read the code and write packages, nothing more', () => {
    expect(workflow.permissions).toEqual({ contents: 'read', packages: 'write' });
  });

  it('pins every action to a major version (@vN)', () => {
    const uses = steps.map((s) => s.uses).filter(Boolean) as string[];
    expect(uses.length).toBe(6);
    for (const action of uses) expect(action, action).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
  });

  it('sets up QEMU and Buildx, then logs in to ghcr.io with GITHUB_TOKEN, all before the build', () => {
    const order = ['actions/checkout', 'docker/setup-qemu-action', 'docker/setup-buildx-action', 'docker/login-action', 'docker/metadata-action', 'docker/build-push-action'];
    expect(steps.map((s) => String(s.uses).split('@')[0])).toEqual(order);
    expect(step('docker/login-action').with).toEqual({ registry: 'ghcr.io', username: '${{ github.actor }}', password: '${{ secrets.GITHUB_TOKEN }}' });
  });

  it('tags ghcr.io/<owner>/<repository> from the semver tag', () => {
    const meta = step('docker/metadata-action');
    expect(meta.id).toBe('meta');
    expect(meta.with.images).toBe('ghcr.io/${{ github.repository }}');
    expect(meta.with.tags.trim().split('\n')).toEqual(['type=semver,pattern={{version}}', 'type=semver,pattern={{major}}.{{minor}}']);
  });

  it('builds infra/k8s/Dockerfile for amd64, arm64 and arm/v7 and pushes it with those tags and labels', () => {
    const build = step('docker/build-push-action').with;
    expect(build.file).toBe('infra/k8s/Dockerfile');
    expect(existsSync(`${ROOT}${build.file}`)).toBe(true);
    expect(build.context).toBe('.');
    expect(build.platforms.split(',')).toEqual(['linux/amd64', 'linux/arm64', 'linux/arm/v7']);
    expect(build.push).toBe(true);
    expect(build.tags).toBe('${{ steps.meta.outputs.tags }}');
    expect(build.labels).toBe('${{ steps.meta.outputs.labels }}');
  });

  it.each(Object.keys(INPUTS))('gives %s only inputs it has', (action) => {
    expect(Object.keys(step(action).with ?? {}).filter((input) => !INPUTS[action]!.includes(input))).toEqual([]);
  });
});
