/** What subscribing returns: call `dispose()` (or leave a `using` scope) to stop listening. */
export interface Subscription extends Disposable {
  dispose(): void;
}

/**
 * Listeners for one kind of event. A listener that throws does not keep the
 * others from running; its error is rethrown on a later tick so it is not lost.
 */
export class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>();

  subscribe(listener: (value: T) => void): Subscription {
    // Wrapped so the same function can be subscribed twice and disposed separately.
    const entry = (value: T) => listener(value);
    this.listeners.add(entry);
    const dispose = () => void this.listeners.delete(entry);
    return { dispose, [Symbol.dispose]: dispose };
  }

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
