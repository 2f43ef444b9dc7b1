// Preloaded with NODE_OPTIONS="--require ./lib/no-telemetry.cjs": replaces the `posthog-node`
// module with an inert client. Artillery 2.0.21 sends an event even when
// ARTILLERY_DISABLE_TELEMETRY is set, and offline its flush at exit stalls the run for ~15 s.
'use strict';

const Module = require('module');

class InertPostHog {
  capture() {}
  identify() {}
  flush() {}
  async flushAsync() {}
  shutdown() {}
  async shutdownAsync() {}
}

const inert = { PostHog: InertPostHog, default: InertPostHog };
const originalLoad = Module._load;

Module._load = function load(request, parent, isMain) {
  if (request === 'posthog-node') {
    return inert;
  }
  return originalLoad.call(this, request, parent, isMain);
};
