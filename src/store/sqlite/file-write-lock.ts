// One async write queue per database file within this process. Two Store
// instances on the same file would otherwise meet in SQLite's busy handler,
// which better-sqlite3 runs synchronously: the waiter blocks the event loop
// that the lock holder needs to finish, so every collision costs a full busy
// timeout. Queuing here keeps SQLite's lock for what it is needed for:
// other processes.

const tails = new Map<string, Promise<void>>();

export function withFileWriteLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const previous = tails.get(file) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => mine);
  tails.set(file, tail);
  return previous.then(fn).finally(() => {
    release();
    if (tails.get(file) === tail) tails.delete(file);
  });
}
