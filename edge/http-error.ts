// The edge's HTTP errors: thrown anywhere in a request, answered as JSON `{ error }` by the app's one onError.
import type { EdgeErrorKind } from './metrics.ts';

export type EdgeErrorStatus = 400 | 401 | 413 | 415 | 503;

export class EdgeHttpError extends Error {
  constructor(
    readonly status: EdgeErrorStatus,
    /** Counted in bonker_edge_errors_total; undefined for errors that are not worth a metric. */
    readonly kind: EdgeErrorKind | undefined,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'EdgeHttpError';
  }
}
