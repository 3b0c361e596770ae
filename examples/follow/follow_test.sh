#!/bin/sh
# The follow example as a test: a catalog_writer process writes the catalog
# into a temporary SQLite file while a catalog_follower process follows it;
# the follower must print every change, in order, and exit once the writer
# seals the catalog for ever (each process bounded by `timeout`).
#
#   follow_test.sh CATALOG_WRITER CATALOG_FOLLOWER
set -eu
writer=$1
follower=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/stash-follow.XXXXXX")
trap 'rm -rf "$dir"' EXIT
url="sqlite:$dir/catalog.db"

timeout 60 "$writer" "$url" --init
timeout 60 "$follower" "$url" --timeout-s 30 >"$dir/followed.txt" &
follower_pid=$!
timeout 60 "$writer" "$url" >"$dir/written.txt"
status=0
wait "$follower_pid" || status=$?

cat >"$dir/expected.txt" <<'END'
time 0: + users (table 1)
time 1: + orders (table 2)
time 2: - orders (table 2)
time 2: + order_lines (table 2)
time 3: + recent_orders (view 3)
time 4: - recent_orders (view 3)
catalog sealed for ever
END
echo "--- the writer printed:"; cat "$dir/written.txt"
echo "--- the follower printed:"; cat "$dir/followed.txt"
if [ "$status" -ne 0 ]; then
  echo "FAILED: the follower exited with status $status"
  exit 1
fi
if ! diff -u "$dir/expected.txt" "$dir/followed.txt"; then
  echo "FAILED: the follower did not print the writer's changes in order"
  exit 1
fi
echo "PASSED"
