#!/usr/bin/env bash
# Runs a command as root in a qemu TCG guest on Debian's stock kernel (which has sch_netem), with
# this machine's / shared read-only (writes land in guest memory). See lab/guest/ and docs/netem-guest.md.
#   bash scripts/netem-guest.sh                      # doctor --link-selftest in the guest
#   bash scripts/netem-guest.sh npx vitest run test/netem
#   bash scripts/netem-guest.sh --fetch-only         # fetch/unpack the kernel into .gl/guest only
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
exec node --import tsx lab/guest/cli.ts "$@"
