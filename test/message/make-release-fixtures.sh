#!/bin/bash
# Makes test/message/fixtures/crafted-indexed-<version>.tar.gz: the messages of release-crafted.ts
# (releaseCraftedMessages(), file N. = message N-1) indexed by `reconstruct` of the real Cyrus in
# the Debian chroots that test/harness/release-cyrus/make-fixtures.sh builds (it must have run:
# the chroot's lab, with its user.corpus mailbox, is reused). Works on a private copy of each
# chroot, so the harness's own chroots are not touched. Also records that Cyrus 3.2's reconstruct
# crashes on CRASHES_CYRUS_32. Needs root, node.
#
#   make-release-fixtures.sh [SUITE...]     default: bullseye trixie sid   (3.2.6, 3.10.2, 3.12.4);
#                                            jammy (Ubuntu 22.04, 3.4.3) if a chroot of it exists
#   env: CHROOTS=/tmp/chroots  WORK=/tmp/release-fixtures-work
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CHROOTS=${CHROOTS:-/tmp/chroots}
WORK=${WORK:-/tmp/release-fixtures-work}
OUT=$HERE/fixtures
SUITES=("$@"); [ ${#SUITES[@]} -gt 0 ] || SUITES=(bullseye trixie sid)

# The messages, written by the same code the tests read them with.
rm -rf "$WORK/js" "$WORK/msgs"; mkdir -p "$WORK/msgs/crash" "$OUT"
(cd "$ROOT" && npx tsc --outDir "$WORK/js" --rootDir "$ROOT" --module nodenext --moduleResolution nodenext \
  --target es2022 --skipLibCheck test/message/release-crafted.ts)
cat > "$WORK/js/write.mjs" <<EOF
import { writeFileSync } from 'node:fs';
import { releaseCraftedMessages, CRASHES_CYRUS_32 } from './test/message/release-crafted.js';
releaseCraftedMessages().forEach((m, i) => writeFileSync('$WORK/msgs/' + (i + 1) + '.', m.bytes));
writeFileSync('$WORK/msgs/crash/1.', CRASHES_CYRUS_32);
EOF
node "$WORK/js/write.mjs"

tool() { # root name args...: a Cyrus tool in the chroot as cyrus:mail, UTC, the lab's config
  local R=$1 name=$2; shift 2
  chroot --userspec=cyrus:mail "$R" env -i TZ=UTC LANG=C PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ \
    /usr/lib/cyrus/bin/"$name" -C /srv/ocf/imapd.conf "$@"
}
index_into() { # root mailbox srcdir outdir logfile: replace the mailbox's files, reconstruct, copy out
  local R=$1 mb=$2 src=$3 out=$4 log=$5 d f u
  d=$(tool "$R" mbpath "$mb" | tail -n 1)
  rm -f "$R$d"/*. "$R$d"/cyrus.index "$R$d"/cyrus.cache
  for f in "$src"/*.; do
    u=$(basename "$f" .)
    cp "$f" "$R$d/$u."
    touch -d "@$((1700000000 + 3600 * u))" "$R$d/$u."
  done
  chroot "$R" sh -c "chown cyrus:mail $d/*. && chmod 600 $d/*."
  if tool "$R" reconstruct "$mb" > "$log" 2>&1; then echo "## exit 0" >> "$log"; else echo "## exit $?" >> "$log"; fi
  rm -rf "$out"; mkdir -p "$out"; cp -p "$R$d"/cyrus.index "$R$d"/cyrus.cache "$R$d"/*. "$out/" 2>/dev/null || true
}

for suite in "${SUITES[@]}"; do
  [ -e "$CHROOTS/$suite/.cyrus-done" ] || { echo "no Cyrus chroot $CHROOTS/$suite" >&2; exit 1; }
  R=$WORK/chroot-$suite
  rm -rf "$R"; mkdir -p "$R"
  (cd "$CHROOTS/$suite" && tar --one-file-system -cf - .) 2>/dev/null | (cd "$R" && tar xf -)
  mount -t proc proc "$R/proc"
  version=$(chroot "$R" dpkg-query -W -f '${Version}' cyrus-imapd); short=${version%%-*}
  S=$WORK/stage-$short/crafted-indexed
  rm -rf "$WORK/stage-$short"; mkdir -p "$S"
  index_into "$R" user.corpus "$WORK/msgs" "$S/mailbox" "$S/reconstruct.txt"
  if [ "$suite" = bullseye ]; then
    index_into "$R" user.corpus "$WORK/msgs/crash" "$WORK/crash-$short" "$S/reconstruct-crash.txt"
  fi
  distro=$(. "$R/etc/os-release" && echo "$PRETTY_NAME")
  printf 'Cyrus: %s (%s) package cyrus-imapd %s\nMade by: test/message/make-release-fixtures.sh on %s\nTZ=UTC; message N. mtime 1700000000 + 3600 s x N\n' \
    "$distro" "$suite" "$version" "$(date -u +%F)" > "$S/ENVIRONMENT.txt"
  umount "$R/proc"
  tar czf "$OUT/crafted-indexed-$short.tar.gz" -C "$WORK/stage-$short" crafted-indexed
  echo "wrote $OUT/crafted-indexed-$short.tar.gz ($(ls "$S/mailbox" | wc -l) files)"
done
