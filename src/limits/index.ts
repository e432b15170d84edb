// Public face of limits: rates, quotas, concurrency, session caps and cost budgets per tenant,
// principal, server, method and tool, shared across replicas through Redis (docs/limits.md).
export { Limiter, LimitInputError, type LimiterDeps } from './limiter.js';
export { LimitMetrics } from './metrics.js';
export { limitRefusal, RATE_LIMITED_CODE } from '../core/index.js';
export { LimitConfigError, validateLimits } from './validate.js';
export type {
  AnomalyFlag,
  AnomalyOptions,
  ConcurrencySpec,
  CostSpec,
  Dimension,
  LimitConfig,
  LimitHeader,
  LimitLease,
  LimitKind,
  LimitMatch,
  LimitRequest,
  LimitUsage,
  LimitVerdict,
  LimitsOptions,
  QuotaSpec,
  RateSpec,
  RefusalReason,
  SessionsSpec,
  TenantUsage,
  UnavailablePolicy,
  WindowLength,
} from './types.js';
