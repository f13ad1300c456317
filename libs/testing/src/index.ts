export { uniqueName } from './names';
export {
  kafkaBrokers,
  testKafka,
  withAdmin,
  createTopics,
  deleteTopics,
  deleteTopicsWithPrefix,
  deleteGroups,
  consumeMessages,
  type TopicSpec,
  type ConsumeOptions,
  type ReceivedMessage,
} from './kafka';
export { redisUrl, redisKeyPrefix, deleteRedisKeys, withRedis, DEFAULT_REDIS_URL } from './redis';
export { chooseTestKafkaProvider, setUpTestKafka, tearDownTestKafka, type TestKafkaProvider } from './jest-kafka';
export { isDockerAvailable } from './docker';
export { waitFor } from './wait';
export { startRedisServer, type TestRedisServer, type RedisServerOptions } from './redis-server';
