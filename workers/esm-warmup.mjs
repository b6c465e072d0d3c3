// Imported by a standby worker while it waits for its version (workers/worker-data.ts): the
// first ES module import in a thread sets up Node's module loader, which costs milliseconds
// that would otherwise fall inside an upgrade. It runs no code and exports nothing.
export {};
