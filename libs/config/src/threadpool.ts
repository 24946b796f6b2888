/**
 * libuv's thread pool, sized before anything uses it (it is fixed at its first use). Every
 * embedded chDB statement runs on one of its threads until it ends, beside every asynchronous
 * file read and crypto call of the process; libuv's default of 4 is fewer than the chDB
 * connections the API holds (the projector's, the views' two, the background builds', the
 * catch-up's staging), so one slow view could leave the projector waiting for a thread
 * (docs/performance.md, 2026-12-02 15:10). Imported first by this library's index, which every
 * app loads while its modules load, before any of them starts work on the pool. An operator's
 * own UV_THREADPOOL_SIZE wins.
 */
export const DEFAULT_THREADPOOL_SIZE = 16;

process.env.UV_THREADPOOL_SIZE ??= String(DEFAULT_THREADPOOL_SIZE);
