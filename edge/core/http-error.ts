// The edge's HTTP errors: thrown anywhere in a request, answered as JSON `{ error }` by the app's one onError.
import type { EdgeErrorKind } from './metrics.ts';
import type { PublishStep } from './publisher.ts';

export type EdgeErrorStatus = 400 | 401 | 413 | 415 | 503;

export class EdgeHttpError extends Error {
  constructor(
    readonly status: EdgeErrorStatus,
    /** Counted in bonker_edge_errors_total; undefined for errors that are not worth a metric. */
    readonly kind: EdgeErrorKind | undefined,
    message: string,
    readonly headers: Record<string, string> = {},
    /** For kind publish_failed: which step failed, the `step` label of bonker_edge_errors_total. */
    readonly step?: PublishStep,
  ) {
    super(message);
    this.name = 'EdgeHttpError';
  }
}

/**
 * Reading the request body failed: the client closed or reset the connection mid-upload, or Node cut a slow upload
 * (BONKER_EDGE_REQUEST_TIMEOUT_MS, after answering 408 itself). The client's doing, so logged at debug, not counted,
 * and the answer most likely reaches nobody.
 */
export class ClientAbortedError extends EdgeHttpError {
  constructor(readonly reason: string) {
    super(400, undefined, `the request body could not be read (${reason})`);
    this.name = 'ClientAbortedError';
  }
}

/**
 * Text from a request, fit to quote in an answer or a log: at most `max` characters, and anything outside printable
 * ASCII written as \uXXXX, so binary bytes (a compressed body, control characters) are never echoed back as they are.
 */
export function printable(text: string, max: number): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(/[^\x20-\x7e…]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
