// Structured logging. JSON lines go straight to stdout (what log collectors want);
// "text" renders the same records as one readable line each, for people at a terminal.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export type LogFormat = 'text' | 'json';
export type { Logger };

const levelNames: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

function renderValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** Renders one pino JSON record as `time LEVEL msg key=value ...`. */
export function renderText(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, pid: _pid, hostname: _host, ...rest } = record;
  const when = typeof time === 'number' ? new Date(time).toISOString() : '';
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${renderValue(v)}`).join(' ');
  return `${when} ${levelNames[Number(level)] ?? String(level)} ${typeof msg === 'string' ? msg : ''}${fields ? ' ' + fields : ''}`;
}

function textStream(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      const lines = chunk.toString('utf8').split('\n').filter((l) => l.length > 0);
      out.write(lines.map(renderText).join('\n') + '\n');
      done();
    },
  });
}

export interface LoggerOptions {
  /** Errors (and fatal) to stderr, everything else to stdout, like klog's split streams. */
  readonly splitStream?: boolean;
}

export function createLogger(format: LogFormat, level = process.env.LOG_LEVEL ?? 'info', options: LoggerOptions = {}): Logger {
  const settings = { level, base: undefined };
  const out = format === 'json' ? pino.destination(1) : textStream(process.stdout);
  if (!options.splitStream) return pino(settings, out);
  const err = format === 'json' ? pino.destination(2) : textStream(process.stderr);
  // dedupe: each record goes to the one stream with the highest level at or below its own.
  return pino(settings, pino.multistream([{ level: 'trace', stream: out }, { level: 'error', stream: err }], { dedupe: true }));
}
