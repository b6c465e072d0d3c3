/**
 * The typed `api` object: `module.api.fib(30)` is `module.call('fib', 30)`.
 */

// biome-ignore lint/suspicious/noExplicitAny: parameter lists of arbitrary user functions
type AnyFunction = (...args: any[]) => unknown;

// biome-ignore lint/suspicious/noExplicitAny: any generator, whatever it yields, returns or takes
type AnyGenerator = Generator<any, any, any> | AsyncGenerator<any, any, any>;

/** Names of the exports of `M` that are plain functions: what `call()` and `api` run. Generator functions stream instead. */
export type FunctionName<M> = {
  [K in keyof M]: M[K] extends AnyFunction ? (IsGeneratorFunction<M[K]> extends true ? never : K) : never;
}[keyof M] &
  string;

/** True for a function returning a generator; false for one returning `never` or anything else. */
type IsGeneratorFunction<F> = F extends (...args: never[]) => infer R
  ? [R] extends [never]
    ? false
    : [R] extends [AnyGenerator]
      ? true
      : false
  : false;

/**
 * Names of the exports of `M` that are generator functions (sync or async): what `stream()`
 * reads. A function typed as returning `unknown` (an untyped module) may be one.
 */
export type GeneratorName<M> = {
  [K in keyof M]: IsGeneratorFunction<M[K]> extends true ? K : ReturnsUnknown<M[K]> extends true ? K : never;
}[keyof M] &
  string;

/** What the stream of generator export `K` of `M` yields (`unknown` for an untyped module). */
export type YieldOf<M, K extends keyof M> =
  ReturnsUnknown<M[K]> extends true
    ? unknown
    : M[K] extends (...args: never[]) => Generator<infer Y, unknown, never> | AsyncGenerator<infer Y, unknown, never>
      ? Y
      : never;

type ReturnsUnknown<F> = F extends (...args: never[]) => infer R ? (unknown extends R ? true : false) : false;

/**
 * The parameters of export `K` of `M`, as the caller passes them: a callback the worker
 * declares as `(...args) => Promise<R>` may be given as `(...args) => R` (top level, or a
 * property of a plain-object argument).
 */
export type ArgsOf<M, K extends keyof M> = M[K] extends (...args: infer A) => unknown ? { [I in keyof A]: CallerArg<A[I]> } : never;

/** A callback as the caller writes it: it may answer synchronously. */
export type CallerCallback<F> = F extends (...args: infer P) => infer R ? (...args: P) => Awaited<R> | Promise<Awaited<R>> : F;

/** Objects whose function-valued properties are methods, not callbacks: left as they are. */
type NotAnOptionsBag =
  | readonly unknown[]
  | Date
  | RegExp
  | Map<unknown, unknown>
  | Set<unknown>
  | ArrayBuffer
  | ArrayBufferView
  | Promise<unknown>;

/** Keys of `T` whose values are functions. */
type CallbackKeys<T> = { [P in keyof T]-?: NonNullable<T[P]> extends AnyFunction ? P : never }[keyof T];

type CallerArg<T> = T extends AnyFunction
  ? CallerCallback<T>
  : T extends NotAnOptionsBag
    ? T
    : T extends object
      ? [CallbackKeys<T>] extends [never]
        ? T
        : { [P in keyof T]: NonNullable<T[P]> extends AnyFunction ? CallerCallback<T[P]> : T[P] }
      : T;

/** The first parameter of export `K` of `M`: what `map()` passes it, one input per call. */
export type ArgOf<M, K extends keyof M> = M[K] extends (...args: infer A) => unknown ? A[0] : never;

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
