import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { captureIo } from '../../../src/cli/io.js';

describe('usage errors', () => {
  it('end with a hint: line naming the help to read, with commander\'s suggestion', async () => {
    const io = captureIo();
    expect(await main(['upp'], io)).toBe(2);
    expect(io.err()).toBe("error: unknown command 'upp'\nhint: Did you mean up? `baas --help` lists the commands.\n");
    const io2 = captureIo();
    expect(await main(['up', '--bogus'], io2)).toBe(2);
    expect(io2.err()).toMatch(/^hint: `baas up --help` lists the options of this command, with examples\.$/m);
    const io3 = captureIo();
    expect(await main(['branch', 'create'], io3)).toBe(2);
    expect(io3.err()).toMatch(/^hint: .*`baas branch create --help`/m);
    const io4 = captureIo();
    expect(await main(['tenant', 'member', 'ad'], io4)).toBe(2);
    expect(io4.err()).toMatch(/^hint: Did you mean add\? `baas tenant member --help` lists the commands\.$/m);
  });
});
