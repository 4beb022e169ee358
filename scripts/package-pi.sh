#!/usr/bin/env bash
# The Raspberry Pi package: a release build for aarch64 with the `pi` features, THIRD-PARTY
# for it, a smoke run under qemu, the size, and the .deb (cargo-deb). docs/install-pi.md
# lists what the build machine needs.
set -euo pipefail
cd "$(dirname "$0")/.."
target=aarch64-unknown-linux-gnu
. scripts/pi-env.sh
cargo build --locked --release --target "$target" --no-default-features --features pi --bin salonbox
bin="target/$target/release/salonbox"
python3 scripts/third-party.py --target "$target" --no-default-features --features pi > target/THIRD-PARTY
qemu-aarch64-static -L /usr/aarch64-linux-gnu "$bin" --version
echo "binary: $(stat -c %s "$bin") bytes ($(numfmt --to=iec-i --suffix=B "$(stat -c %s "$bin")"))"
cargo deb --no-build --locked --target "$target" --no-default-features --features pi
