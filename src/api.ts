/**
 * The typed `api` object: `module.api.fib(30)` is `module.call('fib', 30)`.
 */

// biome-ignore lint/suspicious/noExplicitAny: parameter lists of arbitrary user functions
type AnyFunction = (...args: any[]) => unknown;

/** Names of the exports of `M` that are functions. */
export type FunctionName<M> = {
  [K in keyof M]: M[K] extends AnyFunction ? K : never;
}[keyof M] &
  string;

/** The parameters of export `K` of `M`. */
export type ArgsOf<M, K extends keyof M> = M[K] extends (...args: infer A) => unknown ? A : never;

/** What a call of export `K` of `M` resolves with: its return value, awaited. */
export type ResultOf<M, K extends keyof M> = M[K] extends (...args: never[]) => infer R ? Awaited<R> : never;

/**
 * Every exported function of module `M`, taking the same arguments and returning a promise
 * of its awaited result, run in a worker. With no type argument, any name may be called.
 */
export type HotApi<M> = {
  readonly [K in FunctionName<M>]: (...args: ArgsOf<M, K>) => Promise<ResultOf<M, K>>;
};

/** The shape assumed when no module type is given: any name, any arguments. */
export type UntypedModule = Record<string, (...args: unknown[]) => unknown>;

/**
 * Builds an `api` proxy over `call`. Property reads return a function per name (cached for
 * names `isExported` knows, so hot paths allocate nothing). `then` and symbols read as
 * `undefined`, so the object is not thenable: it can be returned from an async function.
 */
export function createApi<M>(call: (name: string, args: unknown[]) => Promise<unknown>, isExported: (name: string) => boolean): HotApi<M> {
  const cache = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  const bind =
    (name: string) =>
    (...args: unknown[]) =>
      call(name, args);
  return new Proxy(Object.create(null) as HotApi<M>, {
    get(_target, property) {
      if (typeof property !== 'string' || property === 'then') return undefined;
      let fn = cache.get(property);
      if (fn === undefined) {
        fn = bind(property);
        // Only exported names are cached, so reading arbitrary names cannot grow the cache.
        if (isExported(property)) cache.set(property, fn);
      }
      return fn;
    },
    set() {
      throw new TypeError('hotworker api is read-only');
    },
    defineProperty() {
      throw new TypeError('hotworker api is read-only');
    },
    deleteProperty() {
      throw new TypeError('hotworker api is read-only');
    },
  });
}
