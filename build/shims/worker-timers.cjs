// Stands in for `worker-timers` in the bundles (build/bundles.ts): mqtt.js runs its keepalive on Web Worker timers
// only in browsers and Node's own timers here, but requires the package (and @babel/runtime) either way.
module.exports = {
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
};
