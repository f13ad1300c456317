import { brokerProperties, jvmOptions, jvmOptionsFromEnv, newClusterId, renderLog4jConfig, renderProperties } from './broker-config';
import { InvalidKafkaOptionsError } from './errors';

describe('brokerProperties', () => {
  const props = brokerProperties({ host: '127.0.0.1', port: 19092, controllerPort: 19093, logDir: '/data/kraft' });

  it.each([
    ['process.roles', 'broker,controller'],
    ['node.id', '1'],
    ['controller.quorum.bootstrap.servers', '127.0.0.1:19093'],
    ['controller.listener.names', 'CONTROLLER'],
    ['listeners', 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093'],
    ['advertised.listeners', 'PLAINTEXT://127.0.0.1:19092'],
    ['listener.security.protocol.map', 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT'],
    ['log.dirs', '/data/kraft'],
    ['auto.create.topics.enable', 'false'],
    ['num.partitions', '1'],
    ['offsets.topic.replication.factor', '1'],
    ['transaction.state.log.replication.factor', '1'],
    ['transaction.state.log.min.isr', '1'],
    ['min.insync.replicas', '1'],
    ['group.initial.rebalance.delay.ms', '0'],
  ])('sets %s=%s', (key, value) => {
    expect(props[key]).toBe(value);
  });

  it('leaves message.max.bytes at the broker default (1 MiB, as in production)', () => {
    expect(props).not.toHaveProperty('message.max.bytes');
  });

  it('lets overrides replace defaults and add properties', () => {
    const overridden = brokerProperties({
      host: 'localhost',
      port: 1,
      controllerPort: 2,
      logDir: '/d',
      overrides: { 'num.partitions': 3, 'log.retention.ms': 1000, 'auto.create.topics.enable': true },
    });
    expect(overridden['num.partitions']).toBe('3');
    expect(overridden['log.retention.ms']).toBe('1000');
    expect(overridden['auto.create.topics.enable']).toBe('true');
  });

  it.each(['bad key', 'a=b', '', 'x\ny'])('rejects the property name %j', (key) => {
    expect(() => brokerProperties({ host: 'h', port: 1, controllerPort: 2, logDir: '/d', overrides: { [key]: 1 } })).toThrow(
      InvalidKafkaOptionsError,
    );
  });
});

describe('renderProperties', () => {
  it.each([
    [{ a: 'b' }, 'a=b\n'],
    [{ 'log.dirs': 'C:\\kafka\\data' }, 'log.dirs=C:\\\\kafka\\\\data\n'],
    [{ x: 'one\ntwo' }, 'x=one\\ntwo\n'],
    [{ a: '1', b: '2' }, 'a=1\nb=2\n'],
  ])('renders %j as %j', (input, expected) => {
    expect(renderProperties(input)).toBe(expected);
  });
});

describe('renderLog4jConfig', () => {
  it('writes to the given file only, capped in size', () => {
    const config = renderLog4jConfig('/data/logs/server.log');
    expect(config).toContain('appender.file.fileName = /data/logs/server.log');
    expect(config).toContain('appender.file.policies.size.size = 10MB');
    expect(config).toContain('rootLogger.appenderRef.file.ref = file');
    expect(config).not.toMatch(/Console/);
  });
});

describe('newClusterId', () => {
  function sequence(...buffers: Buffer[]): (size: number) => Buffer {
    let index = 0;
    return (size) => {
      const next = buffers[index++];
      expect(next.length).toBe(size);
      return next;
    };
  }

  it('encodes 16 random bytes as 22 URL-safe base64 characters', () => {
    expect(newClusterId(sequence(Buffer.alloc(16, 0xab)))).toBe('q6urq6urq6urq6urq6urqw');
  });

  it.each([
    ['the zero uuid', Buffer.alloc(16, 0)],
    ['the metadata topic uuid', Buffer.from('00000000000000000000000000000001', 'hex')],
    ['an id starting with "-"', Buffer.from('f8000000000000000000000000000000', 'hex')],
  ])('draws again instead of returning %s', (_name, rejected) => {
    expect(rejected.toString('base64url').length).toBe(22);
    expect(newClusterId(sequence(rejected, Buffer.alloc(16, 0xab)))).toBe('q6urq6urq6urq6urq6urqw');
  });

  it('gives different ids on each call', () => {
    expect(newClusterId()).not.toBe(newClusterId());
  });
});

describe('jvmOptions', () => {
  it('gives the heap, the serial collector and C1-only JIT by default', () => {
    expect(jvmOptions()).toEqual([
      '-Xms64m',
      '-Xmx256m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
    ]);
  });

  it('puts extra flags last, so they override the defaults', () => {
    const flags = jvmOptions({ min: '128m', max: '512m' }, ['-XX:-UseSerialGC', '-XX:+UseG1GC']);
    expect(flags.slice(0, 2)).toEqual(['-Xms128m', '-Xmx512m']);
    expect(flags[flags.length - 1]).toBe('-XX:+UseG1GC');
  });

  it('reads extra flags from CONVEYOR_KAFKA_JVM_OPTS', () => {
    expect(jvmOptionsFromEnv({ CONVEYOR_KAFKA_JVM_OPTS: ' -XX:+UseG1GC  -XX:TieredStopAtLevel=4 ' })).toEqual(['-XX:+UseG1GC', '-XX:TieredStopAtLevel=4']);
    expect(jvmOptionsFromEnv({})).toEqual([]);
  });
});
