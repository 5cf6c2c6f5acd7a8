// Process entry: configuration, the app, and signals. SIGTERM/SIGINT drain accepted readings to the
// database before exit; a second signal exits at once.
import { startApp } from './app.ts';
import { ConfigError, loadConfig, monitoringSurface } from './config.ts';
import { createLogger } from './log.ts';

async function main() {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger(config.LOG_LEVEL);
  // A generated admin password was printed (and kept in DATA_DIR) the moment it was created, inside
  // startApp, so a start that fails after that point does not lose it.
  const app = await startApp(config, log);
  const mqtt = [
    app.mqttPort !== undefined ? `mqtt://localhost:${app.mqttPort}` : '',
    app.mqttTlsPort !== undefined ? `mqtts://localhost:${app.mqttTlsPort}` : '',
  ].filter(Boolean);
  // /docs only where it is served (off in production unless DOCS_PUBLIC).
  const docs = monitoringSurface(config).docs ? `  API docs: http://localhost:${app.httpPort}/docs` : '';
  process.stdout.write(`  IOC: http://localhost:${app.httpPort}/${docs}  MQTT: ${mqtt.join(' ')}\n`);
  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) process.exit(1);
    signalled = true;
    log.info({ signal }, 'shutting down: draining accepted readings');
    app.stop().then(
      () => process.exit(0),
      (error) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(
    `city IOC failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
