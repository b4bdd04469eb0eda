// Baseline Worker of figure 4: reads the request body and answers 200, nothing else, so its latency is the floor of
// wrangler dev's proxy + workerd that every edge request in local workerd pays before the edge's own work.
export default {
  async fetch(request: Request): Promise<Response> {
    await request.arrayBuffer();
    return new Response('ok');
  },
};

