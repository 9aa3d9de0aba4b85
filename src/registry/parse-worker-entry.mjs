// Entry of the parser worker thread: the worker itself is TypeScript, loaded through tsx as the
// main thread is (a worker does not inherit the main thread's module hooks on Node 20).
import { register } from 'tsx/esm/api';

register();
await import('./parse-worker.ts');
