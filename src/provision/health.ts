// A provisioned server's health, from what an operator would look at: the pods mcpgw routes to (its
// endpoint set) against the replicas asked for, and, when that falls short, why: a container waiting
// in ImagePullBackOff or CrashLoopBackOff, a pod that cannot be scheduled.
import type { V1Pod } from '@kubernetes/client-node';

export type HealthState = 'ready' | 'progressing' | 'stuck';

export interface ServerHealth {
  state: HealthState;
  desiredReplicas: number;
  /** Pods in mcpgw's endpoint set that take traffic. */
  readyEndpoints: number;
  /** Why the rollout does not progress, one line per pod and cause. */
  reasons: string[];
}

/** Waiting reasons that do not clear by themselves: the rollout is stuck until someone acts. */
const STUCK_WAITING = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'CrashLoopBackOff', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);
const MAX_MESSAGE = 300;

function stuckReasons(pod: V1Pod): string[] {
  const name = pod.metadata?.name ?? '?';
  const out: string[] = [];
  for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const w = c.state?.waiting;
    if (w?.reason && STUCK_WAITING.has(w.reason)) out.push(`pod ${name}: container ${c.name}: ${w.reason}${w.message ? `: ${w.message.slice(0, MAX_MESSAGE)}` : ''}`);
  }
  for (const cond of pod.status?.conditions ?? []) {
    if (cond.type === 'PodScheduled' && cond.status === 'False') out.push(`pod ${name}: not scheduled: ${cond.reason ?? 'Unschedulable'}${cond.message ? `: ${cond.message.slice(0, MAX_MESSAGE)}` : ''}`);
  }
  return out;
}

export function serverHealth(desiredReplicas: number, readyEndpoints: number, pods: readonly V1Pod[]): ServerHealth {
  const reasons = pods.flatMap(stuckReasons);
  const state: HealthState = readyEndpoints >= desiredReplicas ? 'ready' : reasons.length ? 'stuck' : 'progressing';
  return { state, desiredReplicas, readyEndpoints, reasons };
}
