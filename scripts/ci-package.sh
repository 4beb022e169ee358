#!/usr/bin/env bash
# CI (issue 9): the amd64 Debian package, built around the binary the test suite just ran,
# installed on this Debian 12 machine, then `salonbox init` and `salonbox doctor` as the
# service user; an upgrade keeps the edited configuration and the data, a removal keeps
# the data. Needs root (or sudo), cargo-deb and dpkg-dev.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# The package keeps /var/lib/salonbox when it is removed (the shop's data). A machine that
# already has one is a shop or an earlier run: refuse, except on a CI machine, where it is
# an earlier run's leftover.
if [ -e /var/lib/salonbox ]; then
  if [ "${CI:-}" = true ]; then $SUDO rm -rf /var/lib/salonbox; else
    echo "/var/lib/salonbox exists: not installing a test package over it" >&2; exit 1; fi
fi

python3 scripts/third-party.py > target/THIRD-PARTY
# cargo-deb packages target/release/salonbox: the debug build stands in for it here.
install -D -m 0755 target/debug/salonbox target/release/salonbox
cargo deb --no-build --locked --fast
deb=$(ls target/debian/salonbox_*_amd64.deb)
dpkg-deb --info "$deb" | sed -n '/Package:/,/Description:/p'

DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "./$deb"
id salonbox
for g in dialout lp video render input gpio; do id -nG salonbox | tr ' ' '\n' | grep -qx "$g" || { echo "salonbox is not in group $g" >&2; exit 1; }; done
[ "$(stat -c '%U:%G %a' /etc/salonbox/config.toml)" = "root:salonbox 640" ] || { stat /etc/salonbox/config.toml; exit 1; }
[ "$(stat -c '%U:%G %a' /var/lib/salonbox)" = "salonbox:salonbox 750" ] || { stat /var/lib/salonbox; exit 1; }
test -f /usr/lib/udev/rules.d/60-salonbox.rules
test -s /usr/share/doc/salonbox/THIRD-PARTY
grep -qx /etc/salonbox/config.toml /var/lib/dpkg/info/salonbox.conffiles

cd /
$SUDO runuser -u salonbox -- salonbox init
$SUDO runuser -u salonbox -- salonbox doctor
$SUDO runuser -u salonbox -- salonbox doctor --json | python3 -c '
import json, sys
checks = json.load(sys.stdin)
names = [c["name"] for c in checks]
bad = [c for c in checks if not c["ok"]]
assert not bad, bad
assert any("/etc/salonbox/config.toml" in c["detail"] for c in checks), checks
print("doctor: all", len(checks), "checks ok")'
test -f /var/lib/salonbox/salonbox.sqlite3
# SALONBOX_CONFIG_NOSYSTEM=1 (the test suite's setting) leaves the installed file unread.
$SUDO runuser -u salonbox -- env SALONBOX_CONFIG_NOSYSTEM=1 salonbox doctor --json | python3 -c '
import json, sys
checks = json.load(sys.stdin)
assert not any("/etc/salonbox" in c["detail"] for c in checks), checks
print("doctor: SALONBOX_CONFIG_NOSYSTEM=1 reads no system file")'

# An upgrade (the same package again) keeps the shop's edit of the configuration and its data.
$SUDO sed -i 's/^name = .*/name = "CI 美容院"/' /etc/salonbox/config.toml
$SUDO runuser -u salonbox -- salonbox customer add --name 王芳 --phone 13800138000 >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --reinstall -o Dpkg::Options::=--force-confold "$OLDPWD/$deb"
grep -q 'CI 美容院' /etc/salonbox/config.toml
# (grep -q stops reading at the match: salonbox must end quietly on the closed pipe.)
$SUDO runuser -u salonbox -- salonbox customer show 13800138000 | grep -q 王芳

# The install guide's restore, as the service user: a backup, a customer after it, the
# restore; the customer is gone and the replaced database is kept.
backup=$($SUDO runuser -u salonbox -- salonbox backup --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["path"])')
$SUDO runuser -u salonbox -- salonbox customer add --name 李娜 --phone 13900139000 >/dev/null
$SUDO runuser -u salonbox -- salonbox restore "$backup"
if $SUDO runuser -u salonbox -- salonbox customer show 13900139000 >/dev/null 2>&1; then
  echo "restore: the customer added after the backup is still there" >&2; exit 1; fi
ls /var/lib/salonbox/backups/before-restore-*.sqlite3

# Removing the package stops nothing it should not and keeps the customers' data.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get purge -y salonbox
test -f /var/lib/salonbox/salonbox.sqlite3
echo "package: installed, initialised, doctor ok, upgraded, removed with the data kept"
