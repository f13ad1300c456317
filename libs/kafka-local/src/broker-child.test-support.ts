/*
 * Run as a separate Node process by broker.spec.ts: starts a broker in a temporary
 * data dir, prints one JSON line describing it, then idles until killed. The test
 * kills this process with SIGKILL and checks that the JVM does not outlive it.
 */
import { startKafka } from './broker';

startKafka({ stopGraceMs: 5000 }).then(
  (kafka) => {
    process.stdout.write(`${JSON.stringify({ pid: kafka.pid, dataDir: kafka.dataDir, brokers: kafka.brokers })}\n`);
    setInterval(() => undefined, 1 << 30);
  },
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
