export { startKafka, type KafkaHandle, type StartKafkaOptions } from './broker';
export { resolveKafka, parseBrokerList, type ResolvedKafka } from './resolve-kafka';
export { findFreePort, assertPortFree } from './ports';
export { findOnPath, isExecutableFile, resolveJava, resolveMaven } from './executables';
export {
  ensureKafkaRuntime,
  readPinnedKafkaVersion,
  runtimeCacheKey,
  type EnsureKafkaRuntimeOptions,
  type KafkaRuntime,
} from './kafka-runtime';
export { brokerProperties, renderProperties, renderLog4jConfig, newClusterId, jvmOptions, jvmOptionsFromEnv, DEFAULT_JVM_HEAP, type JvmHeap, type PropertyValue } from './broker-config';
export { findWorkspaceRoot } from './workspace';
export {
  KafkaLocalError,
  InvalidKafkaOptionsError,
  JavaNotFoundError,
  MavenNotFoundError,
  KafkaFetchError,
  PortInUseError,
  StorageFormatError,
  BrokerStartError,
  BrokerStopError,
  type KafkaLocalErrorCode,
} from './errors';
