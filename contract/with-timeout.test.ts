// The one deadline helper: what it settles with, and that it leaves no timer behind.
import { describe, expect, it } from 'vitest';
import { settledWithin, withTimeout } from './with-timeout.ts';

const never = new Promise<never>(() => {});

describe('withTimeout', () => {
  it('settles as the work does when it is first', async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000, () => new Error('late'))).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('broke')), 1_000, () => new Error('late'))).rejects.toThrow('broke');
  });

  it("rejects with the caller's error once the deadline passes first", async () => {
    class Late extends Error {}
    await expect(withTimeout(never, 5, () => new Late('no answer'))).rejects.toBeInstanceOf(Late);
  });
});

describe('settledWithin', () => {
  it('is true for work that resolved or rejected in time, false for work still running', async () => {
    await expect(settledWithin(Promise.resolve(), 1_000)).resolves.toBe(true);
    await expect(settledWithin(Promise.reject(new Error('x')), 1_000)).resolves.toBe(true);
    await expect(settledWithin(never, 5)).resolves.toBe(false);
  });
});
