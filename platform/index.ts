// The public surface of the platform layer. Hand-curated: add exports here deliberately.
export { createLogger, type Logger, type LoggerSettings, logger, setLogger } from './log/logger';
