// Pins: an unmodified NestJS 11 microservice on Nest's own Transport.KAFKA consumes an
// @EventPattern event from the pinned broker and emits to another topic through
// ClientKafka; a plain kafkajs consumer sees the result.
import 'reflect-metadata';
import { Controller, Inject, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientKafka, ClientsModule, Ctx, EventPattern, KafkaContext, Payload, Transport } from '@nestjs/microservices';
import type { Admin } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import { consumeMessages, createTopics, deleteGroups, deleteTopics, kafkaBrokers, testKafka, uniqueName } from '../index';

jest.setTimeout(120_000);

interface Greeting {
  name: string;
}

function buildModule(inputTopic: string, outputTopic: string, clientId: string): new () => unknown {
  @Controller()
  class GreetingController {
    constructor(@Inject('OUTPUT') private readonly output: ClientKafka) {}

    @EventPattern(inputTopic)
    async greet(@Payload() greeting: Greeting, @Ctx() context: KafkaContext): Promise<void> {
      const key = context.getMessage().key?.toString() ?? null;
      await lastValueFrom(
        this.output.emit(outputTopic, {
          key,
          value: JSON.stringify({ greeting: `hello ${greeting.name}`, from: context.getTopic() }),
          headers: { 'x-handled-by': 'nest' },
        }),
      );
    }
  }

  @Module({
    imports: [
      ClientsModule.register([
        {
          name: 'OUTPUT',
          transport: Transport.KAFKA,
          options: { client: { clientId: `${clientId}-out`, brokers: kafkaBrokers() }, producerOnlyMode: true },
        },
      ]),
    ],
    controllers: [GreetingController],
  })
  class GreetingModule {}

  return GreetingModule;
}

describe('NestJS microservice on Transport.KAFKA', () => {
  let admin: Admin;
  let app: INestMicroservice | undefined;
  const inputTopic = uniqueName('nest-in');
  const outputTopic = uniqueName('nest-out');
  const groupId = uniqueName('nest-group');

  beforeAll(async () => {
    admin = testKafka('contract-nest-admin').admin();
    await admin.connect();
    await createTopics(admin, [inputTopic, outputTopic]);
  });
  afterAll(async () => {
    await app?.close();
    await deleteGroups(admin, [groupId, `${groupId}-server`]);
    await deleteTopics(admin, [inputTopic, outputTopic]);
    await admin.disconnect();
  });

  it('receives an event and emits to another topic', async () => {
    const clientId = uniqueName('nest');
    app = await NestFactory.createMicroservice(buildModule(inputTopic, outputTopic, clientId), {
      transport: Transport.KAFKA,
      options: {
        client: { clientId, brokers: kafkaBrokers() },
        consumer: { groupId },
        subscribe: { fromBeginning: true },
      },
      logger: false,
    });
    await app.listen();

    const producer = testKafka('contract-nest-producer').producer();
    await producer.connect();
    await producer.send({ topic: inputTopic, messages: [{ key: 'req-1', value: JSON.stringify({ name: 'conveyor' }) }] });
    await producer.disconnect();

    const [result] = await consumeMessages({ topic: outputTopic, count: 1, timeoutMs: 60_000 });
    expect(result.key?.toString()).toBe('req-1');
    expect(JSON.parse(result.value!.toString())).toEqual({ greeting: 'hello conveyor', from: inputTopic });
    expect(result.headers['x-handled-by']?.toString()).toBe('nest');
  });
});
