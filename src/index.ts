/**
 * hotworker: host modules in worker-thread pools and upgrade them while they serve.
 * This file is the public surface only.
 */
export type { ArgOf, ArgsOf, CallerCallback, FunctionName, GeneratorName, HotApi, ResultOf, UntypedModule, YieldOf } from './api.js';
export type { Artifact } from './build.js';
export { artifactFromBundle, buildArtifact } from './build.js';
export type { FailReason, RolloutFigures } from './canary.js';
export { HotError, type HotErrorCode, HotErrorCodes, type HotErrorDetails } from './errors.js';
export type { DrainResult, VersionInfo } from './generation.js';
export type { StateSource } from './hooks.js';
export { HotHost, type HotOptions, hot } from './host.js';
export {
  type CanaryEvent,
  type CrashEvent,
  HotModule,
  type HotModuleEvents,
  type RollbackEvent,
  type UpgradeEvent,
} from './hot-module.js';
export { MAP_ASYNC_CHUNK, MAP_CHUNK_LIMIT, type MapInputs, type MapOptions } from './map.js';
export type { CallOptions, HostOptions, ModuleOptions, RollbackOptions, UpgradeOptions } from './options.js';
export { MAX_TIMEOUT_MS, THREADS_PER_CORE_LIMIT } from './options.js';
export type { UpgradePhase, UpgradeProgress } from './progress.js';
export type { CanaryOptions, RollbackOnOptions } from './rollout-options.js';
export type { RolloutStatus } from './routing.js';
