// ext_proc Process adapter over the core: per-stream state machine, per-phase work, the gRPC driver.
export { RequestProcessor, PROCESS_HOOK, type ProcessorDeps } from './process.js';
export { externalProcessorService, ProcessStream, type ReplySink } from './stream.js';
export { newStreamState, transition, PHASES, EVENTS, type StreamState, type Phase, type StreamEvent, type Action, type Transition } from './streamState.js';
