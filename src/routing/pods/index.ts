// Per-server pod state for session pinning.
export { ServerPods, MAX_WINDOW_SETS, type ServerPodsConfig, type PodLoss, type PodState } from './serverPods.js';
export { PodDirectory, type PodDirectoryDeps } from './directory.js';
export { MemoryDrainMarks, RedisDrainMarks, type DrainMarks } from './drains.js';
