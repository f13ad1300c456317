import { type DynamicModule, Global, Module, type OnApplicationShutdown, Inject } from '@nestjs/common';
import Redis from 'ioredis';
import type { Logger } from 'pino';
import { HealthController } from './health.controller';
import { createStageLogger } from './logger';
import { ReadinessRegistry } from './readiness';
import { STAGE_LOGGER, STAGE_REDIS, STAGE_SETTINGS, type StageRuntimeSettings } from './settings';

/** Closes the shared Redis client last, after the transport has drained. */
class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(STAGE_REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * What every stage module imports: settings, the logger, one Redis client
 * (claim checks, results), the readiness registry and the health endpoints.
 */
@Global()
@Module({})
export class StageRuntimeModule {
  static forRoot(settings: StageRuntimeSettings, logger: Logger = createStageLogger(settings.stage, settings.logLevel)): DynamicModule {
    return {
      module: StageRuntimeModule,
      controllers: [HealthController],
      providers: [
        { provide: STAGE_SETTINGS, useValue: settings },
        { provide: STAGE_LOGGER, useValue: logger },
        {
          provide: STAGE_REDIS,
          useFactory: () => {
            const redis = new Redis(settings.redisUrl, {
              lazyConnect: false,
              maxRetriesPerRequest: 3,
              // Keep retrying the connection forever (readiness reports it) instead of giving up.
              retryStrategy: (times) => Math.min(times * 200, 2_000),
            });
            let lastLogged = 0;
            redis.on('error', (error: Error) => {
              // ioredis repeats connection errors on every retry; one line per 10 s is enough.
              if (Date.now() - lastLogged < 10_000) return;
              lastLogged = Date.now();
              logger.warn({ err: error, redis: settings.redisUrl }, 'redis error');
            });
            return redis;
          },
        },
        {
          provide: ReadinessRegistry,
          inject: [STAGE_REDIS],
          useFactory: (redis: Redis) => {
            const registry = new ReadinessRegistry();
            registry.register('redis', () => redis.status === 'ready');
            return registry;
          },
        },
        RedisLifecycle,
      ],
      exports: [STAGE_SETTINGS, STAGE_LOGGER, STAGE_REDIS, ReadinessRegistry],
    };
  }
}
