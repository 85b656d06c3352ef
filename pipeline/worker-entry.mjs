// Entry of a `corpus run` worker thread: module hooks are per thread on Node 20, so load tsx here
// before the TypeScript worker body (pipeline/worker.ts).
import { register } from 'tsx/esm/api';

register();
await import(new URL('./worker.ts', import.meta.url).href);
