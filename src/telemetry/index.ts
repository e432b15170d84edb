// Logs and metrics.
export { createLogger, type Logger } from './logger.js';
export { GatewayMetrics, type Hook } from './metrics.js';
