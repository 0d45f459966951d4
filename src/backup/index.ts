/**
 * Backups as a library: the commands' core functions, for programs that schedule or drive them
 * (`baas serve`). Each takes the same dependencies (`BackupDeps`) and returns data; none prints.
 */
export { createBackup, type CreateInput, type CreateResult } from './create.js';
export { listBackups, type ListResult, type BackupEntry } from './list.js';
export { restoreBackup, type RestoreInput, type RestoreResult } from './restore.js';
export { verifyBackup, type VerifyResult, type VerifyCheck } from './verify.js';
export { pruneBackups, planPrune, type PruneResult, type PrunePlan } from './prune.js';
export type { BackupDeps, BackupProgress } from './source.js';
export type { RecoveryWindow } from './window.js';
