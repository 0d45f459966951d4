/** Formatting for the commands: the shared helpers in src/format.ts. */
export { bytes, json, ms, table, visibleLength } from '../format.js';
