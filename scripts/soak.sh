#!/usr/bin/env bash
# The long durability run (issue 9): `salonbox soak write` killed with SIGKILL at random
# moments, 1,000 times by default (the test suite runs 200). Every acknowledged check-in
# must survive and `PRAGMA integrity_check` stay ok. Usage: scripts/soak.sh [cycles]
set -euo pipefail
cd "$(dirname "$0")/.."
SALONBOX_SOAK_CYCLES="${1:-1000}" cargo test --locked --test durability acknowledged -- --nocapture
