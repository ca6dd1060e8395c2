import pino from 'pino';
import type { LogLevel } from './config.js';

export type Log = pino.Logger;

export function createLog(level: LogLevel, destination?: pino.DestinationStream): Log {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['password', '*.password', 'token', '*.token', 'key', '*.key'], censor: '[redacted]' },
    },
    destination,
  );
}
