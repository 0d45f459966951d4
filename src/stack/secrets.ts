import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { ensurePrivateDir, writePrivateFile } from '../private-files.js';
import path from 'node:path';
import { UserError, ExitCode } from '../errors.js';

import type { Secrets } from '../model/secrets.js';

export type { Secrets } from '../model/secrets.js';

const token = (bytes = 24): string => randomBytes(bytes).toString('base64url');

export function generateSecrets(): Secrets {
  return {
    postgres: { superuserPassword: token(), appPassword: token() },
    redis: { password: token() },
    mongo: { rootPassword: token(), keyfile: randomBytes(96).toString('base64') },
  };
}

export function secretsPath(stateDir: string): string {
  return path.join(stateDir, 'secrets.json');
}

/** Makes sure .baas/ exists and can never be committed, whatever the repository's .gitignore says. */
export function ensureStateDir(stateDir: string): void {
  ensurePrivateDir(stateDir);
  const ignore = path.join(stateDir, '.gitignore');
  if (!existsSync(ignore)) writePrivateFile(ignore, '# baas state: generated secrets and logs. Never commit.\n*\n');
}

export function readSecrets(stateDir: string): Secrets | undefined {
  const file = secretsPath(stateDir);
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Secrets>;
    // Fill what an older file lacks, so adding a service later never breaks the existing ones.
    const fresh = generateSecrets();
    return {
      postgres: { ...fresh.postgres, ...parsed.postgres },
      redis: { ...fresh.redis, ...parsed.redis },
      mongo: { ...fresh.mongo, ...parsed.mongo },
    };
  } catch (e) {
    throw new UserError(`The secrets file ${file} is not valid JSON.`, {
      exitCode: ExitCode.config,
      hint: 'Restore it from a backup, or remove it together with the stack (`baas down --volumes`) to start over with new passwords.',
      cause: e,
    });
  }
}

export function loadOrCreateSecrets(stateDir: string): { secrets: Secrets; created: boolean } {
  const existing = readSecrets(stateDir);
  ensureStateDir(stateDir);
  const file = secretsPath(stateDir);
  if (existing) {
    const text = JSON.stringify(existing, null, 2);
    if (readFileSync(file, 'utf8') !== text) writePrivateFile(file, text);
    else chmodSync(file, 0o600);
    return { secrets: existing, created: false };
  }
  const secrets = generateSecrets();
  writePrivateFile(file, JSON.stringify(secrets, null, 2));
  return { secrets, created: true };
}

export function requireSecrets(stateDir: string): Secrets {
  const s = readSecrets(stateDir);
  if (!s) {
    throw new UserError(`No credentials found in ${stateDir}: the stack has not been started from this directory.`, {
      hint: 'Run `baas up` first (from the directory holding platform.config.yaml, or pass --config).',
    });
  }
  return s;
}
