import { describe, expect, it } from 'vitest';
import { usageErrorOf } from '../../test/support/cli-parse-only.js';

describe('eventflow explore: options checked before anything starts (exit 2)', () => {
  it('rejects an unknown fault kind or target, a bad duration, seed or count', async () => {
    expect(await usageErrorOf(['explore', '--faults', 'kill,frobnicate'])).toMatch(/unknown kind "frobnicate".*explore knows: kill/);
    expect(await usageErrorOf(['explore', '--targets', 'postgres,mysql'])).toMatch(/unknown service or group "mysql"/);
    expect(await usageErrorOf(['explore', '--duration', '2s'])).toMatch(/from 5s to 10m/);
    expect(await usageErrorOf(['explore', '--seed', '-3'])).toMatch(/seed/);
    expect(await usageErrorOf(['explore', '--runs', '0'])).toMatch(/whole number from 1/);
    expect(await usageErrorOf(['explore', '--rate', 'fast'])).toMatch(/requests per second/);
  });

  it('accepts the documented invocations', async () => {
    expect(await usageErrorOf(['explore', '--seed', '1', '--runs', '5', '--duration', '20s'])).toBeUndefined();
    expect(await usageErrorOf(['explore', '--faults', 'kill,pause', '--targets', 'postgres,api', '--max-faults', '4', '--no-shrink'])).toBeUndefined();
  });
});
