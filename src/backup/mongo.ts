/**
 * MongoDB in a backup, with the tools of the official `mongo` image: `mongodump --oplog` (a dump
 * consistent as of its end, since the stack runs a replica set) and `mongorestore --oplogReplay`.
 * The password goes through a YAML file readable by root only (`--config`, Database Tools
 * 100.3+), never the command line. Written against the documented behaviour and unit-tested: no
 * MongoDB server has run these here. There is no point-in-time recovery for MongoDB: a restore
 * brings back the snapshot of the chosen base backup.
 */
import { ExternalError } from '../errors.js';
import { LABEL } from '../model/labels.js';
import type { ContainerRuntime } from '../runtime/types.js';
import type { RepoShell } from './repo.js';
import type { SourceStack } from './source.js';

export const MONGO_ARCHIVE = 'mongo.archive.gz';

const withConfigFile = (body: string): string => `set -u
umask 077
cfg=$(mktemp)
printf 'password: "%s"\\n' "$MONGO_PASSWORD" > "$cfg"
${body}
rc=$?
rm -f "$cfg"
exit $rc
`;

const AUTH = '--config="$cfg" --username=root --authenticationDatabase=admin --host=127.0.0.1 --port=27017';

/** Env: MONGO_PASSWORD, OUT (a path in the Mongo container). */
export const MONGODUMP_SCRIPT = withConfigFile(`mongodump ${AUTH} --oplog --gzip --archive="$OUT" --quiet`);

/** Env: MONGO_PASSWORD, IN. Collections in the archive replace those of the server (--drop). */
export const MONGORESTORE_SCRIPT = withConfigFile(`mongorestore ${AUTH} --oplogReplay --drop --gzip --archive="$IN" --quiet`);

export type MongoOutcome = { snapshot: { file: string; bytes: number; takenAt: string; oplog: boolean } } | { note: string } | undefined;

function mongoContainer(s: SourceStack) {
  const def = s.defs.find((d) => d.kind === 'mongo');
  return def ? s.actual.find((c) => c.labels[LABEL.service] === def.name) : undefined;
}

/** Dumps MongoDB into `dir` of the repository shell's container; a note (never a failure) when it cannot. */
export async function snapshotMongo(runtime: ContainerRuntime, s: SourceStack, shell: RepoShell, dir: string, id: string, now: () => Date): Promise<MongoOutcome> {
  if (!s.ctx.config.services.mongo.enabled) return undefined;
  const c = mongoContainer(s);
  if (c?.state !== 'running') return { note: 'MongoDB is not covered by this backup: its container is not running' };
  const out = `/tmp/baas-${id}.${MONGO_ARCHIVE}`;
  const r = await runtime.exec(c.id, ['bash', '-c', MONGODUMP_SCRIPT], { env: { MONGO_PASSWORD: s.secrets.mongo.rootPassword, OUT: out } });
  if (r.exitCode !== 0) {
    const why = (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ');
    return { note: `MongoDB is not covered by this backup: mongodump failed (${why || `exit code ${r.exitCode}`})` };
  }
  const takenAt = now().toISOString();
  try {
    const tar = await runtime.getArchive(c.id, out);
    await runtime.putArchive(shell.containerId, dir, tar);
    const moved = await shell.run('set -e; cd "$DIR"; mv "$NAME" mongo.archive.gz; stat -c %s mongo.archive.gz', { DIR: dir, NAME: out.slice('/tmp/'.length) });
    if (moved.exitCode !== 0) throw new ExternalError(`Could not store the MongoDB dump in the backup: ${moved.stderr.trim()}`, { code: 'backup_failed' });
    return { snapshot: { file: MONGO_ARCHIVE, bytes: Number(moved.stdout.trim()), takenAt, oplog: true } };
  } finally {
    await runtime.exec(c.id, ['rm', '-f', out]).catch(() => undefined);
  }
}

/** Replays a backup's MongoDB dump into the stack's running MongoDB (collections in the dump are replaced). */
export async function restoreMongo(runtime: ContainerRuntime, s: SourceStack, shell: RepoShell, backupDir: string): Promise<void> {
  const c = mongoContainer(s);
  if (c?.state !== 'running') throw new ExternalError('MongoDB is not running, so its dump cannot be restored.', { code: 'backup_failed', hint: 'Run `baas up mongo` first.' });
  const tar = await runtime.getArchive(shell.containerId, `${backupDir}/${MONGO_ARCHIVE}`);
  await runtime.putArchive(c.id, '/tmp', tar);
  const r = await runtime.exec(c.id, ['bash', '-c', MONGORESTORE_SCRIPT], { env: { MONGO_PASSWORD: s.secrets.mongo.rootPassword, IN: `/tmp/${MONGO_ARCHIVE}` } });
  await runtime.exec(c.id, ['rm', '-f', `/tmp/${MONGO_ARCHIVE}`]).catch(() => undefined);
  if (r.exitCode !== 0) throw new ExternalError(`mongorestore failed (exit code ${r.exitCode}).`, { code: 'backup_failed', details: (r.stderr || r.stdout).trim().split('\n').slice(-5) });
}
