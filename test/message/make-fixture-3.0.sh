#!/bin/bash
# Makes test/message/fixtures/crafted-indexed-3.0.13.tar.gz: release-crafted.ts's messages and
# crafted-30.ts's (file N. = message N-1 of releaseCraftedMessages().concat(crafted30Messages()))
# indexed by `reconstruct` of real Cyrus 3.0.13 in the Ubuntu 20.04 (focal) chroot that
# test/harness/release-cyrus/make-fixtures.sh builds, reusing its user.fx3013 mailbox. Works on a
# private copy of the chroot. Needs root, node.   env: CHROOTS=/tmp/chroots  WORK=/tmp/fixture-30-work
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CHROOTS=${CHROOTS:-/tmp/chroots}
WORK=${WORK:-/tmp/fixture-30-work}
OUT=$HERE/fixtures
[ -e "$CHROOTS/focal/.cyrus-done" ] || { echo "no Cyrus chroot $CHROOTS/focal" >&2; exit 1; }

rm -rf "$WORK/js" "$WORK/msgs"; mkdir -p "$WORK/msgs" "$OUT"
(cd "$ROOT" && npx tsc --outDir "$WORK/js" --rootDir "$ROOT" --module nodenext --moduleResolution nodenext \
  --target es2022 --skipLibCheck test/message/release-crafted.ts test/message/crafted-30.ts)
cat > "$WORK/js/write.mjs" <<EOS
import { writeFileSync } from 'node:fs';
import { releaseCraftedMessages } from './test/message/release-crafted.js';
import { crafted30Messages } from './test/message/crafted-30.js';
releaseCraftedMessages().concat(crafted30Messages()).forEach((m, i) => writeFileSync('$WORK/msgs/' + (i + 1) + '.', m.bytes));
EOS
node "$WORK/js/write.mjs"

R=$WORK/chroot-focal
rm -rf "$R"; mkdir -p "$R"
(cd "$CHROOTS/focal" && tar --one-file-system -cf - .) 2>/dev/null | (cd "$R" && tar xf -)
mount -t proc proc "$R/proc"
trap 'umount "$R/proc" 2>/dev/null || true' EXIT
tool() { # name args...: a Cyrus tool in the chroot as cyrus:mail, UTC, the lab's config
  local name=$1; shift
  chroot --userspec=cyrus:mail "$R" env -i TZ=UTC LANG=C PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ \
    /usr/lib/cyrus/bin/"$name" -C /srv/ocf/imapd.conf "$@"
}
mb=user.fx3013
d=$(tool mbpath "$mb" | tail -n 1)
rm -f "$R$d"/*. "$R$d"/cyrus.index "$R$d"/cyrus.cache
for f in "$WORK/msgs"/*.; do
  u=$(basename "$f" .)
  cp "$f" "$R$d/$u."
  touch -d "@$((1700000000 + 3600 * u))" "$R$d/$u."
done
chroot "$R" sh -c "chown cyrus:mail $d/*. && chmod 600 $d/*."
version=$(chroot "$R" dpkg-query -W -f '${Version}' cyrus-imapd); short=${version%%-*}
S=$WORK/stage/crafted-indexed
rm -rf "$WORK/stage"; mkdir -p "$S/mailbox"
if tool reconstruct "$mb" > "$S/reconstruct.txt" 2>&1; then echo "## exit 0" >> "$S/reconstruct.txt"; else echo "## exit $?" >> "$S/reconstruct.txt"; fi
cp -p "$R$d"/cyrus.index "$R$d"/cyrus.cache "$R$d"/*. "$S/mailbox/"
distro=$(. "$R/etc/os-release" && echo "$PRETTY_NAME")
printf 'Cyrus: %s (focal) package cyrus-imapd %s\nMade by: test/message/make-fixture-3.0.sh on %s\nTZ=UTC; message N. mtime 1700000000 + 3600 s x N\n' \
  "$distro" "$version" "$(date -u +%F)" > "$S/ENVIRONMENT.txt"
tar czf "$OUT/crafted-indexed-$short.tar.gz" -C "$WORK/stage" crafted-indexed
echo "wrote $OUT/crafted-indexed-$short.tar.gz ($(ls "$S/mailbox" | wc -l) files)"
