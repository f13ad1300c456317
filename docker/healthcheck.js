// Healthcheck of the stage containers in compose.yaml (mounted read-only at
// /conveyor/healthcheck.js): exits 0 when GET <url> answers 2xx, else 1.
//
//   node /conveyor/healthcheck.js http://127.0.0.1:8080/health/ready
//
// A script rather than `node -e "..."`: podman-compose 1.0.3 turns an exec-form
// healthcheck into a `/bin/sh -c` string that breaks on a word with quotes or
// parentheses, and the images carry no curl or wget. Node 18+ has fetch.
'use strict';

const url = process.argv[2] || 'http://127.0.0.1:8080/health/ready';
fetch(url, { signal: AbortSignal.timeout(4000) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
