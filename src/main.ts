#!/usr/bin/env node
// Entry point: parse the command line, start the driver, stop gracefully on SIGTERM/SIGINT.
import { startDriver } from './app.js';
import { UsageError, parseOptions, usage } from './cli.js';
import { createLogger } from './logger.js';
import { VERSION } from './version.js';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`ebs-csi-driver: ${err.message} (see --help)\n`);
    return 2;
  }
  if (parsed.kind === 'help') { process.stdout.write(usage() + '\n'); return 0; }
  if (parsed.kind === 'version') { process.stdout.write(`ebs-csi-driver ${VERSION}\n`); return 0; }

  const log = createLogger(parsed.options.loggingFormat, parsed.options.logLevel, { splitStream: parsed.options.logSplitStream });
  if (parsed.options.mode === 'pre-stop-hook') {
    const { runPreStopHook } = await import('./lifecycle/pre-stop-command.js');
    return runPreStopHook(parsed.options, log);
  }
  let driver;
  try {
    driver = await startDriver(parsed.options, log);
  } catch (err) {
    log.fatal({ error: err instanceof Error ? err.message : String(err) }, 'the driver could not start');
    return 1;
  }
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  await driver.stop();
  return 0;
}

main().then((code) => {
  process.exitCode = code;
  // A failed start may leave a timer or a connection behind (the first permission check, an
  // SDK socket); nothing may keep alive a process that serves nothing. After a clean stop too:
  // the instance-metadata client opens a keep-alive agent per request (NodeGetInfo re-reads the
  // interface count), whose idle sockets would hold the process for seconds. Exit once stdout
  // has taken the last log lines.
  if (code !== 0) process.exit(code);
  process.stdout.write('', () => process.exit(code));
}, (err: unknown) => {
  process.stderr.write(`ebs-csi-driver: unexpected failure: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
