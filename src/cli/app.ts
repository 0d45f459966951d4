import path from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import type { ContainerRuntime } from '../runtime/types.js';
import type { Io } from './io.js';

export interface GlobalOptions {
  config?: string;
  verbose?: boolean;
}

/**
 * The composition root handed to every command: the Io, the parsed global options, and lazily
 * created dependencies (config, logger, Docker runtime). Heavy modules are imported on first
 * use so `baas --help` stays fast.
 */
export class App {
  private loadedConfig: Promise<LoadedConfig> | undefined;
  private log: { logger: Logger; runId: string } | undefined;
  private rt: ContainerRuntime | undefined;

  constructor(
    readonly io: Io,
    private readonly globals: () => GlobalOptions,
    overrides: { runtime?: ContainerRuntime } = {},
  ) {
    this.rt = overrides.runtime;
  }

  /** Loaded once per run (a failure too: it is not read a second time, e.g. by the logger). */
  config(): Promise<LoadedConfig> {
    this.loadedConfig ??= (async () => {
      // Validated once per change of the file (or its variables): see config/cache.ts.
      const { loadConfigCached } = await import('../config/cache.js');
      const file = this.globals().config;
      return loadConfigCached({ cwd: this.io.cwd, env: this.io.env, ...(file ? { file } : {}) });
    })();
    return this.loadedConfig;
  }

  /** The project's private directory (.baas/ next to the config file): secrets, logs, alert history. */
  async stateDir(): Promise<string> {
    return path.join((await this.config()).dir, '.baas');
  }

  async logger(): Promise<Logger> {
    if (!this.log) {
      const { createLogger } = await import('../log.js');
      // An invalid config is reported by the command itself; the run then logs nowhere.
      const stateDir = await this.stateDir().catch(() => undefined);
      this.log = createLogger({ ...(stateDir ? { stateDir } : {}), verbose: Boolean(this.globals().verbose) });
    }
    return this.log.logger;
  }

  async runtime(): Promise<ContainerRuntime> {
    if (!this.rt) {
      const { DockerRuntime } = await import('../runtime/docker.js');
      this.rt = new DockerRuntime({ env: this.io.env });
    }
    return this.rt;
  }
}
