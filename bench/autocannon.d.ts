// The part of autocannon 9's programmatic API the bench uses (the package ships no types).
declare module 'autocannon' {
  /** One request of a sequence; setupRequest may rewrite it before each send (e.g. a body of its own). */
  export interface RequestSpec {
    body?: string;
    setupRequest?: (request: RequestSpec) => RequestSpec;
  }
  interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    requests?: RequestSpec[];
    connections?: number;
    duration?: number;
  }
  interface Result {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
