#!/usr/bin/env bash
# Enrol a Pi's SSH host key into the inventory's known_hosts after a reviewed key scan
# (issue 28 item 8; docs/deploy.md "Enrolling a Pi"):
#   scripts/enrol-host.sh [-i INVENTORY] HOST                 scan and show the fingerprint only
#   scripts/enrol-host.sh [-i INVENTORY] HOST SHA256:...      write it if the scan matches
# HOST is an inventory name (its ansible_host/ansible_port are used). Read the expected
# fingerprint on the Pi itself, from its console or another trusted path:
#   ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub
# A scan that differs from what you read is refused (someone may be in between). A host that
# already has a key in the file gets the new one only with the matching fingerprint: a changed
# key is a re-imaged Pi (enrol again after checking) or an attack (stop).
set -euo pipefail
cd "$(dirname "$0")/.."
INVENTORY=inventory/production
if [ "${1:-}" = "-i" ]; then INVENTORY=$2; shift 2; fi
[ $# -ge 1 ] && [ $# -le 2 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
HOST=$1 WANT=${2:-}
ANSIBLE_INVENTORY=${ANSIBLE_INVENTORY_BIN:-.venv-ctl/bin/ansible-inventory}
KEYSCAN=${SSH_KEYSCAN:-ssh-keyscan}
die() { echo "enrol-host: $*" >&2; exit 1; }

dir=$INVENTORY; [ -d "$dir" ] || dir=$(dirname "$INVENTORY")
KNOWN=$dir/known_hosts
vars=$("$ANSIBLE_INVENTORY" -i "$INVENTORY" --host "$HOST" 2>/dev/null) \
  || die "no host $HOST in $INVENTORY (add it to hosts.yml first)"
read -r addr port < <(python3 -c 'import json,sys; v=json.load(sys.stdin); print(v.get("ansible_host") or sys.argv[1], v.get("ansible_port", 22))' "$HOST" <<<"$vars")
[[ $addr =~ ^[A-Za-z0-9][A-Za-z0-9.:-]*$ ]] || die "ansible_host of $HOST is not an address: $addr"
[[ $port =~ ^[0-9]+$ ]] || die "ansible_port of $HOST is not a number: $port"
name=$addr; [ "$port" = 22 ] || name="[$addr]:$port"

scan=$(mktemp); trap 'rm -f "$scan"' EXIT
"$KEYSCAN" -T 5 -t ed25519 -p "$port" "$addr" 2>/dev/null | grep -v '^#' >"$scan" || true
[ -s "$scan" ] || die "$HOST ($name) did not answer an ed25519 key scan: is it up, is sshd running?"
got=$(ssh-keygen -lf "$scan" | awk '{print $2}' | head -n 1)
[ -n "$got" ] || die "the scan of $HOST returned no key ssh-keygen can read"
old=""
if [ -f "$KNOWN" ]; then old=$(ssh-keygen -F "$name" -f "$KNOWN" 2>/dev/null | grep -v '^#' || true); fi

if [ -z "$WANT" ]; then
  echo "$HOST ($name) offers ed25519 key $got"
  [ -z "$old" ] || echo "$KNOWN already has a key for it${old:+ (scan it again after checking)}"
  echo "Compare it with the Pi's own: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub (on its console)."
  echo "If they match: $0 -i $INVENTORY $HOST $got"
  exit 2
fi
[ "$got" = "$WANT" ] || die "REFUSED: $HOST ($name) offers $got, you read $WANT on the Pi. Do not enrol: someone may be between you and the Pi, or the address is another machine's."

changed=no
if [ -n "$old" ]; then
  if ssh-keygen -lf <(printf '%s\n' "$old") 2>/dev/null | awk '{print $2}' | grep -qx "$got"; then
    echo "$HOST ($name) is already enrolled with $got"; exit 0
  fi
  ssh-keygen -R "$name" -f "$KNOWN" >/dev/null 2>&1
  rm -f "$KNOWN.old"
  changed=yes
fi
awk -v n="$name" '{print n, $2, $3}' "$scan" | head -n 1 >>"$KNOWN"
if [ $changed = yes ]; then
  echo "$HOST ($name): KEY CHANGED, replaced by $got after your check (a re-imaged Pi). Commit $KNOWN."
else
  echo "$HOST ($name) enrolled with $got. Commit $KNOWN."
fi
