import { Kafka, type Consumer, type ConsumerConfig, type KafkaConfig, type Producer, type ProducerConfig } from 'kafkajs';

/** The part of a kafkajs client the stage transport uses. */
export interface KafkaClients {
  producer(config?: ProducerConfig): Producer;
  consumer(config: ConsumerConfig): Consumer;
}

/**
 * Makes the transport's kafkajs clients. The default is kafkajs itself; tests
 * pass one that wraps the real clients to inject faults (a commit the
 * coordinator refuses, a failing dead-letter send) that a healthy broker
 * cannot be made to produce on cue.
 */
export type KafkaClientFactory = (config: KafkaConfig) => KafkaClients;

export const createKafkaClients: KafkaClientFactory = (config) => new Kafka(config);
