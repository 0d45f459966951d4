/**
 * Data-residency regions: what a wanted region (`constraints.regions`) asks for, and whether a
 * platform's offer (catalog `regions.confirmed`) meets it. Both sides use ISO 3166 country codes
 * (`de`, `au`) or an area code (`eu`, `us`). Pure.
 *
 * - A wanted country is met only by a region in that country: an offer of "the EU" does not
 *   say the data stays in Germany.
 * - A wanted area is met by the area itself or by any country in it (Frankfurt keeps EU data in
 *   the EU).
 */

/** The EU's member states (ISO 3166-1 alpha-2, lower case). */
const EU = ['at', 'be', 'bg', 'hr', 'cy', 'cz', 'dk', 'ee', 'fi', 'fr', 'de', 'gr', 'hu', 'ie', 'it', 'lv', 'lt', 'lu', 'mt', 'nl', 'pl', 'pt', 'ro', 'sk', 'si', 'es', 'se'];

/** Areas and the countries in them. `uk` is accepted for `gb`. */
export const AREAS: Record<string, readonly string[]> = {
  eu: EU,
  us: ['us'],
};

const ALIASES: Record<string, string> = { uk: 'gb', usa: 'us' };

export const normalizeRegion = (r: string): string => {
  const x = r.trim().toLowerCase();
  return ALIASES[x] ?? x;
};

/** The countries a code stands for: an area's members, or the country itself. */
const countriesOf = (code: string): readonly string[] => AREAS[code] ?? [code];

/** Does an offer of these regions keep data in `wanted`? */
export function regionMet(offered: readonly string[], wanted: string): boolean {
  const want = normalizeRegion(wanted);
  const offer = offered.map(normalizeRegion);
  if (offer.includes(want)) return true;
  // A wanted area is met by any country inside it; a wanted country only by itself.
  const inside = AREAS[want];
  return inside ? offer.some((o) => !AREAS[o] && inside.includes(o)) : false;
}

/**
 * Could the offer still meet `wanted` if the list is incomplete? Only when the offer names an
 * area that contains the wanted country (the specific location may exist but is not listed).
 */
export function regionPossible(offered: readonly string[], wanted: string): boolean {
  const want = normalizeRegion(wanted);
  return offered.map(normalizeRegion).some((o) => AREAS[o] !== undefined && o !== want && countriesOf(o).includes(want));
}
