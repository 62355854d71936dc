// The few flags the comparison servers take, named as the agent's are.
export function serverArgs(argv = process.argv.slice(2)) {
  const value = (name, fallback) => {
    const at = argv.indexOf(name);
    return at >= 0 && at + 1 < argv.length ? argv[at + 1] : fallback;
  };
  return {
    host: value('--host', '::'),
    port: Number(value('--port', '0')),
    trust: value('--trust-proxy', 'loopback, 10.0.0.0/8'),
    logFile: value('--log-file', null),
    logLevel: value('--log-level', 'info'),
    rateLimit: !argv.includes('--no-rate-limit'),
    /** Fastify only: keep its two built-in lines per request instead of one line like the others. */
    defaultRequestLog: argv.includes('--default-request-log'),
  };
}

/** Tells the harness the port once listening (a single line on stdout), and exits on SIGTERM. */
export function ready(port, close) {
  process.stdout.write(`listening ${port}\n`);
  process.once('SIGTERM', () => {
    Promise.resolve(close()).finally(() => process.exit(0));
  });
}
