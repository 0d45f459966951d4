#!/usr/bin/env node
// Part of `npm run build`: writes dist/data/platforms.yaml.json and advisor-weights.yaml.json, the
// parsed catalog and advisor weights keyed by the hash of their YAML text, so that `baas advise`,
// `cost` and `plan migration` skip most of the YAML parsing (see src/planners/data-snapshot.ts). Loading
// both through the snapshots afterwards checks them against their schemas.
import { fileURLToPath } from 'node:url';
import { CATALOG_URL, loadCatalog } from '../dist/planners/catalog.js';
import { WEIGHTS_URL, loadWeights } from '../dist/planners/advise-weights.js';
import { writeSnapshot } from '../dist/planners/data-snapshot.js';

for (const url of [CATALOG_URL, WEIGHTS_URL]) writeSnapshot(fileURLToPath(url));
loadCatalog();
loadWeights();
