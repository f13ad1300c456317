/*
 * Fault injection for the stage runtime's tests: a KafkaClientFactory that
 * hands the transport the real kafkajs clients, wrapped so a test can make one
 * call fail on cue (a commit the coordinator refuses, a dead-letter send the
 * broker drops, a bug in eachBatch) or watch what the transport is told
 * (heartbeat answers, group joins). Everything not overridden is the real
 * client talking to the real broker.
 */
import {
  Kafka,
  type Consumer,
  type ConsumerConfig,
  type ConsumerRunConfig,
  type EachBatchPayload,
  type KafkaConfig,
  type Producer,
  type ProducerRecord,
  type RecordMetadata,
} from 'kafkajs';
import type { KafkaClientFactory } from '../index';

export interface Faults {
  /** Sees the consumer config the transport asks for. */
  consumerConfig?: (config: ConsumerConfig) => void;
  /** Sees the consumer as soon as it exists (to listen to its events from the first join). */
  consumerCreated?: (consumer: Consumer) => void;
  /** Replaces parts of each eachBatch payload (e.g. a failing commit, a watched heartbeat). */
  payload?: (payload: EachBatchPayload) => Partial<EachBatchPayload>;
  /** Runs before the transport's eachBatch: throwing stands for a bug in it. */
  beforeEachBatch?: (payload: EachBatchPayload) => void;
  /** Every producer.send goes through here; `send` sends for real. */
  send?: (record: ProducerRecord, send: (record: ProducerRecord) => Promise<RecordMetadata[]>) => Promise<RecordMetadata[]>;
}

export function faultyKafka(faults: Faults): KafkaClientFactory {
  return (config: KafkaConfig) => {
    const kafka = new Kafka(config);
    return {
      producer: (producerConfig) => wrapProducer(kafka.producer(producerConfig), faults),
      consumer: (consumerConfig) => {
        faults.consumerConfig?.(consumerConfig);
        const consumer = wrapConsumer(kafka.consumer(consumerConfig), faults);
        faults.consumerCreated?.(consumer);
        return consumer;
      },
    };
  };
}

/** The real object, with some of its members replaced. */
function override<T extends object>(real: T, replaced: Partial<T>): T {
  return new Proxy(real, {
    get: (target, property, receiver) => (property in replaced ? replaced[property as keyof T] : Reflect.get(target, property, receiver)),
  });
}

function wrapConsumer(real: Consumer, faults: Faults): Consumer {
  const run = (runConfig?: ConsumerRunConfig): Promise<void> => {
    const eachBatch = runConfig?.eachBatch;
    if (!eachBatch) return real.run(runConfig);
    return real.run({
      ...runConfig,
      eachBatch: async (payload) => {
        faults.beforeEachBatch?.(payload);
        await eachBatch(faults.payload ? { ...payload, ...faults.payload(payload) } : payload);
      },
    });
  };
  return override(real, { run });
}

function wrapProducer(real: Producer, faults: Faults): Producer {
  const inject = faults.send;
  if (!inject) return real;
  return override(real, { send: (record: ProducerRecord) => inject(record, (r) => real.send(r)) });
}
