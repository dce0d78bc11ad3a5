import pino, { type DestinationStream, type Logger } from "pino";
import type { AppConfig } from "./config";

/**
 * JSON lines on stdout (CloudWatch via the awslogs driver), level as a word and an ISO time, so a log query can
 * filter `level = "error"` without knowing pino's numbers. `destination` lets tests capture the lines.
 */
export function createLogger(level: AppConfig["logLevel"], destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: "chat-api" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
