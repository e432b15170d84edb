// ext_proc Process adapter over the core, with per-stream state.
export { externalProcessorService, RequestProcessor, type ProcessorDeps } from './process.js';
export { newStreamState, type StreamState, type Phase } from './streamState.js';
