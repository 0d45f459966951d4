import { describe, expect, it } from 'vitest';
import { regionMet, regionPossible } from '../../../src/planners/regions.js';

describe('data-residency regions', () => {
  it('meets a wanted country only with a region in that country', () => {
    expect(regionMet(['de', 'us'], 'de')).toBe(true);
    expect(regionMet(['DE'], 'de')).toBe(true);
    expect(regionMet(['eu'], 'de')).toBe(false);
    expect(regionMet(['ie', 'us'], 'de')).toBe(false);
    expect(regionMet(['gb'], 'uk')).toBe(true);
  });

  it('meets a wanted area with the area or any country in it', () => {
    expect(regionMet(['eu'], 'eu')).toBe(true);
    expect(regionMet(['us', 'ie'], 'eu')).toBe(true);
    expect(regionMet(['us', 'gb', 'ch'], 'eu')).toBe(false);
    expect(regionMet(['us'], 'US')).toBe(true);
  });

  it('an offer of a whole area may still hold a country in it (not listed), never one outside it', () => {
    expect(regionPossible(['eu'], 'de')).toBe(true);
    expect(regionPossible(['eu'], 'au')).toBe(false);
    expect(regionPossible(['ie', 'us'], 'de')).toBe(false);
  });
});
