import { describe, expect, it, vi } from 'vitest';
import { whileWaiting } from '../../src/wait.js';

describe('whileWaiting', () => {
  it('runs the task once while slow work is pending, never after quick work, and passes the outcome through', async () => {
    vi.useFakeTimers();
    try {
      let ran = 0;
      let finish!: (v: string) => void;
      const slow = whileWaiting(new Promise<string>((r) => (finish = r)), 40, () => ran++);
      await vi.advanceTimersByTimeAsync(100);
      expect(ran).toBe(1);
      finish('done');
      expect(await slow).toBe('done');
      expect(await whileWaiting(Promise.resolve(7), 40, () => ran++)).toBe(7);
      await vi.advanceTimersByTimeAsync(100);
      expect(ran).toBe(1);
      const failing = whileWaiting(new Promise((_, reject) => setTimeout(() => reject(new Error('copy failed')), 80)), 40, () => {
        throw new Error('task failed');
      });
      const caught = failing.catch((e: Error) => e.message);
      await vi.advanceTimersByTimeAsync(100);
      expect(await caught).toBe('copy failed');
    } finally {
      vi.useRealTimers();
    }
  });
});
