// A promise raced against a deadline, its timer cleared either way. Runtime-neutral (Node and workerd).

/** Settles as `work` does, or rejects with `onTimeout()` once `ms` have passed first. */
export async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** True when `work` settled within `ms`, whether it resolved or rejected (its errors are logged where they happen). */
export function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  const settled = work.then(() => true, () => true);
  return withTimeout(settled, ms, () => new Error('deadline')).catch(() => false);
}
