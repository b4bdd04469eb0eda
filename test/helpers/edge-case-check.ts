// The assertions for one row of the shared edge case table (edge-cases.ts), the same whichever edge answered it: the
// in-process app with a recording publisher, or a real server (workerd, Node) publishing to a real broker. Kept out
// of edge-cases.ts, which runs inside workerd too, because it needs vitest's expect.
import { expect } from 'vitest';
import type { EdgeCase } from './edge-cases.ts';

export interface PublishedBonk {
  id: string;
  device: string;
}

/**
 * `bonks`: what was published for this row. `order`: 'as-published' where the publisher saw them in the order the
 * edge sent them (the in-process fake), so the answer must list them in that order; 'any' where they crossed a real
 * broker to a subscriber, which may see them in another order.
 */
export async function checkEdgeCase(
  edgeCase: EdgeCase,
  response: Response,
  bonks: PublishedBonk[],
  order: 'as-published' | 'any',
): Promise<void> {
  const { expect: want } = edgeCase;
  const text = await response.text();
  expect(response.status, text).toBe(want.status);
  for (const [name, pattern] of Object.entries(want.headers ?? {})) expect(response.headers.get(name)).toMatch(pattern);
  if (want.text) expect(text).toMatch(want.text);
  else expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = want.text ? {} : (JSON.parse(text) as Record<string, unknown>);
  if (want.body) expect(body).toMatchObject(want.body);
  if (want.error) expect(body.error).toMatch(want.error);
  if (want.published !== undefined) {
    expect(bonks).toHaveLength(want.published);
    if (response.status === 200) {
      const ids = bonks.map((b) => b.id);
      if (order === 'as-published') expect(body.published).toEqual(ids);
      else expect([...(body.published as string[])].sort()).toEqual(ids.sort());
    }
  }
  if (want.pending !== undefined) {
    expect(body.pending).toHaveLength(want.pending);
    expect(body.pending).toEqual((body.published as string[]).slice(0, want.pending));
  }
  if (want.device) expect(new Set(bonks.map((b) => b.device))).toEqual(new Set([want.device]));
}
