/**
 * .baas/serve.json: what a running agent tells other commands (`baas status`, `baas dashboard`):
 * where it listens, since when, and its schedules' last and next runs. Written by the agent only.
 * Never holds the token (that stays in .baas/serve-token).
 */
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { ensurePrivateDir, writePrivateFile } from '../private-files.js';
import path from 'node:path';

export const STATE_FILE = 'serve.json';

export interface ScheduleRun {
  startedAt: string;
  finishedAt: string;
  ok: boolean;
  /** One line: what the job did, or why it failed. */
  summary: string;
  durationMs: number;
}

export interface ScheduleState {
  name: string;
  job: string;
  /** `cron 0 3 * * *` or `every 6h`. */
  schedule: string;
  lastRun: ScheduleRun | null;
  nextRun: string | null;
  running: boolean;
}

export interface AgentState {
  pid: number;
  project: string;
  url: string;
  startedAt: string;
  updatedAt: string;
  schedules: ScheduleState[];
  /** Set when the agent stopped cleanly. */
  stoppedAt?: string;
}

export function statePath(stateDir: string): string {
  return path.join(stateDir, STATE_FILE);
}

export function writeAgentState(stateDir: string, state: AgentState): void {
  ensurePrivateDir(stateDir);
  const file = statePath(stateDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writePrivateFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file); // readers never see half a file
}

export function removeAgentState(stateDir: string): void {
  rmSync(statePath(stateDir), { force: true });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The agent's state, and whether that agent still runs (its pid answers and it did not stop). */
export function readAgentState(stateDir: string, isAlive: (pid: number) => boolean = alive): (AgentState & { running: boolean }) | undefined {
  const file = statePath(stateDir);
  if (!existsSync(file)) return undefined;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as AgentState;
    return { ...s, running: !s.stoppedAt && isAlive(s.pid) };
  } catch {
    return undefined;
  }
}
