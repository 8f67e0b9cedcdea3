/**
 * Generates JSON Schema files from the zod schemas (editors and other tools validate with them).
 * Run: `npx tsx scripts/gen-schemas.ts` (add `--check` to fail when a committed file is stale).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { resultsSchema, RESULTS_SCHEMA_VERSION } from '../lab/results/schema.ts';
import { scenarioSchema } from '../lab/scenario/schema.ts';
import { suiteSchema } from '../lab/suite/schema.ts';
import { SUITE_JSON_VERSION, suiteJsonSchema } from '../lab/suite/suite-json.ts';

/** Repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Every generated schema file: path relative to the repo root → its JSON text. */
export function generatedSchemas(): Record<string, string> {
  const generated = z.toJSONSchema(resultsSchema, { target: 'draft-2020-12' });
  const results = {
    $schema: generated.$schema,
    $id: `https://glasslab.local/schemas/results.v${RESULTS_SCHEMA_VERSION}.schema.json`,
    title: `glasslab results.json (schemaVersion ${RESULTS_SCHEMA_VERSION})`,
    ...generated,
  };
  // the scenario as written (units as strings); checks that need code (units, ranges) stay in zod
  const scenarioGenerated = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  const scenario = {
    $schema: scenarioGenerated.$schema,
    $id: 'https://glasslab.local/schemas/scenario.v1.schema.json',
    title: 'glasslab scenario file (YAML), version 1',
    ...scenarioGenerated,
  };
  // the suite file as written; each expanded scenario is then checked against the scenario schema
  const suiteGenerated = z.toJSONSchema(suiteSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  const suite = {
    $schema: suiteGenerated.$schema,
    $id: 'https://glasslab.local/schemas/suite.v1.schema.json',
    title: 'glasslab suite file (YAML), version 1',
    ...suiteGenerated,
  };
  const suiteJsonGenerated = z.toJSONSchema(suiteJsonSchema, { target: 'draft-2020-12' });
  const suiteJson = {
    $schema: suiteJsonGenerated.$schema,
    $id: `https://glasslab.local/schemas/suite-results.v${SUITE_JSON_VERSION}.schema.json`,
    title: `glasslab suite.json (schemaVersion ${SUITE_JSON_VERSION})`,
    ...suiteJsonGenerated,
  };
  return {
    'schemas/results.schema.json': JSON.stringify(results, null, 2) + '\n',
    'schemas/scenario.schema.json': JSON.stringify(scenario, null, 2) + '\n',
    'schemas/suite.schema.json': JSON.stringify(suite, null, 2) + '\n',
    'schemas/suite-results.schema.json': JSON.stringify(suiteJson, null, 2) + '\n',
  };
}

async function main(check: boolean): Promise<number> {
  let stale = 0;
  for (const [relativePath, text] of Object.entries(generatedSchemas())) {
    const target = path.join(REPO_ROOT, relativePath);
    if (check) {
      const current = await readFile(target, 'utf8').catch(() => '');
      if (current !== text) {
        stale += 1;
        console.error(`${relativePath} is out of date: run npx tsx scripts/gen-schemas.ts`);
      }
    } else {
      await writeFile(target, text);
      console.log(`wrote ${relativePath}`);
    }
  }
  return stale === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.includes('--check'));
}
