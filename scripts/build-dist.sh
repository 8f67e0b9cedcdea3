#!/usr/bin/env bash
# Compiles lab/ and src/ to dist/ (tsconfig.build.json), so bin/glasslab.js and the sender,
# receiver and STUN children it starts run plain JavaScript instead of transpiling TypeScript at
# every start. Skipped when dist/.source-stamp is current (--force compiles anyway);
# incremental otherwise. Writes dist/.source-stamp (the newest
# source mtime compiled), which bin/dist-freshness.js compares with the sources at each start.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ "${1:-}" != "--force" ] && node --input-type=module -e "import { distFreshness } from './bin/dist-freshness.js'; process.exit(distFreshness().state === 'fresh' ? 0 : 1)"; then
  exit 0 # nothing changed since the last build
fi
# the stamp is taken before compiling: a source edited during the build leaves dist/ stale
newest=$(node --input-type=module -e "import { newestSourceMtimeMs } from './bin/dist-freshness.js'; process.stdout.write(String(newestSourceMtimeMs()))")
rm -f dist/.source-stamp
node_modules/.bin/tsc -p tsconfig.build.json
printf '{"newestSourceMtimeMs":%s,"builtAt":"%s"}\n' "$newest" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > dist/.source-stamp.tmp
mv dist/.source-stamp.tmp dist/.source-stamp
