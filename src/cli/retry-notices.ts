// Retries of transient failures, announced on stderr: the layers below only
// call back (they never write to a terminal); this is where that becomes
// `warning: ssh://dev@host:22: GET /containers/json failed (socket hang up);
// retrying (2/3) in 2 s…`.

import { DEFAULT_RETRY_POLICY, retryCountdown, type RetryPolicy } from '../common/retry.js';
import type { Context } from './context.js';

export function retryPolicy(ctx: Pick<Context, 'reporter'>): RetryPolicy {
  return {
    ...DEFAULT_RETRY_POLICY,
    onRetry: (notice) =>
      ctx.reporter.warn(`${notice.target}: ${notice.operation} failed (${notice.reason}); ${retryCountdown(notice)}`, undefined, 'W_RETRY'),
  };
}
