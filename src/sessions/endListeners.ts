// The onEnded listener set shared by both registries. A throwing listener (a metrics bug) must not
// break the deletion that triggered it, so errors are contained here.
import type { SessionBinding, SessionEndListener, SessionEndReason } from './binding.js';

export class EndListeners {
  private readonly listeners = new Set<SessionEndListener>();

  add(listener: SessionEndListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(b: SessionBinding, reason: SessionEndReason): void {
    for (const l of this.listeners) {
      try {
        l(b, reason);
      } catch {
        // Listeners are metrics hooks; one failing must not fail the registry operation.
      }
    }
  }
}
