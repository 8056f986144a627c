#!/bin/bash
# Builds Debian chroots holding other real Cyrus releases and regenerates, from what those
# Cyrus servers write, the fixtures test/fixtures/{corpus-indexed,cyrus-index}-<version>.tar.gz.
# See README.md beside this file. Needs root, network access to deb.debian.org, node, python3.
#
#   make-fixtures.sh [SUITE...]      SUITE: bullseye (3.2.6), trixie (3.10.2), sid (3.12.x)
#                                    default: bullseye sid trixie
#   env: CHROOTS=/tmp/chroots  WORK=/tmp/other-cyrus-work  OUT=<repo>/test/fixtures
#        ONLY=corpus|index (one kind of fixture)
#
# Idempotent: an existing chroot with Cyrus installed is reused; each run starts a fresh lab
# (Cyrus configuration + spool) inside the chroot and rewrites the fixture tarballs.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
CHROOTS=${CHROOTS:-/tmp/chroots}
WORK=${WORK:-/tmp/other-cyrus-work}
OUT=${OUT:-$ROOT/test/fixtures}
MIRROR=http://deb.debian.org/debian
ONLY=${ONLY:-}
PASSWORD=cyrus-fsck-test
LAB=/srv/ocf                       # the lab's folder, as seen inside the chroot
BIN=/usr/lib/cyrus/bin
PACKAGES="cyrus-imapd cyrus-clients cyrus-admin sasl2-bin libsasl2-modules"
# Message files get mtime 2024-01-01 00:00:00 UTC + 60 s × uid (reconstruct takes INTERNALDATE from it).
MTIME_BASE=1704067200

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot)"

# ---------------------------------------------------------------- chroot with Cyrus installed
setup_chroot() {
  local suite=$1 R=$CHROOTS/$1
  command -v debootstrap >/dev/null || apt-get install -y debootstrap >&2
  if [ ! -e "$R/.debootstrap-done" ]; then
    log "$suite: debootstrap (minbase) into $R"
    # A half-made chroot from an interrupted run: unmount what debootstrap or we mounted first.
    for m in proc sys dev/pts; do mountpoint -q "$R/$m" 2>/dev/null && umount -l "$R/$m"; done
    rm -rf --one-file-system "$R"
    mkdir -p "$CHROOTS"
    debootstrap --variant=minbase "$suite" "$R" "$MIRROR" >&2
    touch "$R/.debootstrap-done"
  fi
  mountpoint -q "$R/proc" || mount -t proc proc "$R/proc"
  if [ ! -e "$R/.cyrus-done" ]; then
    log "$suite: apt-get install $PACKAGES"
    # No daemon may start at install time (the package would start the system's Cyrus).
    printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"
    chmod +x "$R/usr/sbin/policy-rc.d"
    cp /etc/resolv.conf "$R/etc/resolv.conf"
    chroot "$R" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get update >&2
    chroot "$R" env DEBIAN_FRONTEND=noninteractive LC_ALL=C \
      apt-get install -y --no-install-recommends $PACKAGES >&2
    touch "$R/.cyrus-done"
  fi
}

cyrus_version() { chroot "$CHROOTS/$1" dpkg-query -W -f '${Version}' cyrus-imapd; }

# Runs a Cyrus tool inside the chroot as cyrus:mail, in UTC, with the lab's imapd.conf.
tool() {
  local R=$1 name=$2; shift 2
  chroot --userspec=cyrus:mail "$R" env -i TZ=UTC LANG=C PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ \
    "$BIN/$name" -C "$LAB/imapd.conf" "$@"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---------------------------------------------------------------- a private instance in the chroot
stop_lab() {
  local R=$1 L=$1$LAB pid
  if [ -s "$L/master.pid" ]; then
    pid=$(cat "$L/master.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$L/master.pid"
  fi
  if [ -s "$L/syslogd.pid" ]; then
    kill -TERM "$(cat "$L/syslogd.pid")" 2>/dev/null || true
    rm -f "$L/syslogd.pid"
  fi
}

start_lab() {
  local R=$1 L=$1$LAB
  stop_lab "$R"
  rm -rf "$L"
  mkdir -p "$L"/{conf,conf/db,conf/user,conf/quota,conf/sieve,conf/log,conf/proc,conf/socket,spool,lock,proc,socket}
  IMAP_PORT=$(free_port); LMTP_PORT=$(free_port)
  while [ "$LMTP_PORT" = "$IMAP_PORT" ]; do LMTP_PORT=$(free_port); done
  cat > "$L/imapd.conf" <<EOF
configdirectory: $LAB/conf
defaultpartition: default
partition-default: $LAB/spool
mboxname_lockpath: $LAB/lock
proc_path: $LAB/proc
lmtpsocket: $LAB/socket/lmtp
idlesocket: $LAB/socket/idle
notifysocket: $LAB/socket/notify
servername: ocf
admins: admin
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: $LAB/sasldb2
sasl_mech_list: PLAIN LOGIN
altnamespace: no
unixhierarchysep: no
hashimapspool: true
expunge_mode: delayed
delete_mode: delayed
lmtp_downcase_rcpt: yes
annotation_enable_legacy_commands: yes
syslog_prefix: ocf
EOF
  local c="-C $LAB/imapd.conf"
  cat > "$L/cyrus.conf" <<EOF
START {
  recover cmd="$BIN/ctl_cyrusdb $c -r"
}
SERVICES {
  imap cmd="$BIN/imapd $c" listen="127.0.0.1:$IMAP_PORT" prefork=0 maxchild=20
  lmtp cmd="$BIN/lmtpd $c -a" listen="127.0.0.1:$LMTP_PORT" prefork=0 maxchild=10
}
DAEMON {
  idled cmd="$BIN/idled $c"
}
EOF
  for u in admin "$@"; do
    echo "$PASSWORD" | chroot "$R" saslpasswd2 -f "$LAB/sasldb2" -u ocf -c -p "$u"
  done
  chroot "$R" chown -R cyrus:mail "$LAB"
  # No syslog daemon in a chroot: receive /dev/log ourselves.
  : > "$L/syslog"
  python3 "$HERE/syslogd.py" "$R/dev/log" "$L/syslog" & echo $! > "$L/syslogd.pid"
  for _ in $(seq 1 50); do [ -S "$R/dev/log" ] && break; sleep 0.1; done
  chroot "$R" env -i TZ=UTC LANG=C PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ \
    "$BIN/master" -C "$LAB/imapd.conf" -M "$LAB/cyrus.conf" -p "$LAB/master.pid" -d
  for _ in $(seq 1 200); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$IMAP_PORT),1).recv(10)" 2>/dev/null && return 0
    sleep 0.1
  done
  tail -n 20 "$L/syslog" >&2
  die "master did not start (imap port $IMAP_PORT)"
}

client() { node "$WORK/js/test/harness/other-cyrus/lab-client.js" "$@"; }

build_client() {
  log "compiling lab-client.ts"
  rm -rf "$WORK/js"
  (cd "$ROOT" && npx tsc -p test/harness/other-cyrus/tsconfig.json --outDir "$WORK/js")
  echo '{"type":"module"}' > "$WORK/js/package.json"
  ln -s "$ROOT/test/fixtures" "$WORK/js/test/fixtures"   # mime.ts reads cassandane-mime/ from there
}

# Syslog lines with a priority above debug, since byte offset $2 of the lab's syslog.
syslog_since() {
  tail -c +"$(($2 + 1))" "$1$LAB/syslog" | awk '{ if (match($2, /^<[0-9]+>/)) { p = substr($2, 2, RLENGTH - 2) % 8; if (p < 7) print } }'
}

deterministic_tar() { # out.tar.gz dir-in-cwd
  tar --sort=name --owner=0 --group=0 --numeric-owner -cf - "$2" | gzip -n -9 > "$1.tmp"
  mv "$1.tmp" "$1"
}

describe_env() { # suite version -> ENVIRONMENT.txt text
  cat <<EOF
Cyrus: Debian $1 package cyrus-imapd $2 ($(chroot "$CHROOTS/$1" dpkg-query -W -f '${Version}' cyrus-common) cyrus-common), run in a debootstrap --variant=minbase chroot
Made by: test/harness/other-cyrus/make-fixtures.sh on $(date -u +%Y-%m-%d)
TZ=UTC for master and every tool (server time zone UTC)
imapd.conf: imapd.conf beside this file (paths are inside the chroot)
EOF
}

# ---------------------------------------------------------------- fixture 1: the corpus, reconstructed
corpus_fixture() {
  local suite=$1 R=$CHROOTS/$1 version short stage mbdir from
  version=$(cyrus_version "$suite"); short=${version%%-*}
  log "$suite: corpus indexed by Cyrus $version"
  local src=$WORK/corpus-3.6.1
  if [ ! -d "$src/corpus-indexed/mailbox" ]; then
    mkdir -p "$src"
    tar xzf "$ROOT/test/fixtures/corpus-indexed.tar.gz" -C "$src"
  fi
  client create "$IMAP_PORT" user.corpus
  mbdir=$(tool "$R" mbpath user.corpus | tail -n 1)
  [ -d "$R$mbdir" ] || die "mbpath gave $mbdir"
  # The 881 message files of the 3.6.1 fixture (= shared/corpus, see its MANIFEST.tsv), as UID. files.
  local n=0 f uid
  for f in "$src"/corpus-indexed/mailbox/*.; do
    uid=$(basename "$f" .)
    cp "$f" "$R$mbdir/$uid."
    touch -d "@$((MTIME_BASE + 60 * uid))" "$R$mbdir/$uid."
    n=$((n + 1))
  done
  chroot "$R" sh -c "chown cyrus:mail $mbdir/*. && chmod 600 $mbdir/*."
  log "$suite: $n files placed in $mbdir; reconstruct"
  stage=$WORK/stage/$suite-corpus
  rm -rf "$stage"; mkdir -p "$stage/corpus-indexed"
  local s=$stage/corpus-indexed off
  off=$(stat -c %s "$R$LAB/syslog")
  {
    echo "## reconstruct user.corpus   (message files written straight into the empty mailbox folder as UID.)"
    tool "$R" reconstruct user.corpus 2>&1 && echo "## exit 0" || echo "## exit $?"
  } > "$s/reconstruct.txt"
  # The fixture is the folder as this first reconstruct left it.
  mkdir "$s/mailbox"
  cp -p "$R$mbdir"/* "$s/mailbox/"
  tool "$R" mbexamine user.corpus | sed "s#$mbdir#<mailbox>#g" > "$s/mbexamine.txt"
  local before after
  before=$(cd "$R$mbdir" && sha1sum cyrus.* *.)
  {
    echo
    echo "## reconstruct -n -G user.corpus   (report only: re-parse every file and compare)"
    tool "$R" reconstruct -n -G user.corpus 2>&1 && echo "## exit 0" || echo "## exit $?"
    after=$(cd "$R$mbdir" && sha1sum cyrus.* *.)
    if [ "$before" = "$after" ]; then echo "## (it changed no file of the mailbox folder)"
    else echo "## it CHANGED these files (the fixture's mailbox/ is the state before it):"; diff <(echo "$before") <(echo "$after") | grep '^>' | awk '{print "##   " $3}'
    fi
    echo
    echo "## syslog (priority above debug) during both runs: <unix time> <PRI>ident[pid]: message"
    syslog_since "$R" "$off" | sed "s#$mbdir#<mailbox>#g"
  } >> "$s/reconstruct.txt"
  client verify-corpus "$IMAP_PORT" corpus "$src/corpus-indexed/MANIFEST.tsv" | tee "$s/imap-verify.txt" >&2
  cp "$src/corpus-indexed/MANIFEST.tsv" "$s/"
  cp "$R$LAB/imapd.conf" "$s/imapd.conf"
  describe_env "$suite" "$version" > "$s/ENVIRONMENT.txt"
  echo "Mailbox: user.corpus, created over IMAP (admin CREATE), then the 881 files copied in and 'reconstruct user.corpus' run" >> "$s/ENVIRONMENT.txt"
  chmod 600 "$s"/mailbox/*
  (cd "$stage" && deterministic_tar "$OUT/corpus-indexed-$short.tar.gz" corpus-indexed)
  log "$suite: wrote $OUT/corpus-indexed-$short.tar.gz ($(stat -c %s "$OUT/corpus-indexed-$short.tar.gz") bytes; $(grep -m1 'Minor Version' "$s/mbexamine.txt" | tr -s ' '))"
}

# ---------------------------------------------------------------- fixture 2: a lived-in mailbox
index_fixture() {
  local suite=$1 R=$CHROOTS/$1 version short user stage mbdir
  version=$(cyrus_version "$suite"); short=${version%%-*}
  user=fx$(echo "$short" | tr -d .)
  log "$suite: index fixture user.$user by Cyrus $version"
  client populate "$IMAP_PORT" "$LMTP_PORT" "$user" "$short" >&2
  mbdir=$(tool "$R" mbpath "user.$user" | tail -n 1)
  stage=$WORK/stage/$suite-index
  rm -rf "$stage"; mkdir -p "$stage/index-$short"
  local s=$stage/index-$short
  local before after
  before=$(cd "$R$mbdir" && sha1sum cyrus.* *.)
  client dump "$IMAP_PORT" "$user" "$s" >&2
  tool "$R" mbexamine "user.$user" | sed "s#$mbdir#<mailbox>#g" > "$s/mbexamine.txt"
  tool "$R" unexpunge -l "user.$user" > "$s/unexpunge.txt"
  after=$(cd "$R$mbdir" && sha1sum cyrus.* *.)
  [ "$before" = "$after" ] || die "the IMAP dump or mbexamine changed the spool"
  mkdir "$s/mailbox"
  cp -p "$R$mbdir"/* "$s/mailbox/"
  cp "$R$LAB/imapd.conf" "$s/imapd.conf"
  describe_env "$suite" "$version" > "$s/ENVIRONMENT.txt"
  cat > "$s/info.txt" <<EOF
mailbox: user.$user (user $user's INBOX), written natively by Cyrus $version (no reconstruct -V)
filled by: test/harness/other-cyrus/lab-client.ts populate (IMAP as admin authorized as $user, one LMTP delivery)
expected.json: lab-client.ts dump: IMAP EXAMINE INBOX + UID FETCH 1:* (UID FLAGS MODSEQ RFC822.SIZE INTERNALDATE SAVEDATE CREATEDMODSEQ DIGEST.SHA1 BODY.PEEK[]) + GETMETADATA /shared/vendor/cmu/cyrus-imapd/synccrcs
mbexamine.txt: mbexamine user.$user (path replaced by <mailbox>); unexpunge.txt: unexpunge -l user.$user
the dump, mbexamine and unexpunge -l changed no byte of the mailbox folder (checked by sha1sum)
EOF
  chmod 600 "$s"/mailbox/*
  (cd "$stage" && deterministic_tar "$OUT/cyrus-index-$short.tar.gz" "index-$short")
  log "$suite: wrote $OUT/cyrus-index-$short.tar.gz ($(grep -m1 'Minor Version' "$s/mbexamine.txt" | tr -s ' '))"
}

# ---------------------------------------------------------------- main
SUITES=("$@")
[ ${#SUITES[@]} -gt 0 ] || SUITES=(bullseye sid trixie)
mkdir -p "$WORK" "$OUT"
build_client
for suite in "${SUITES[@]}"; do
  t0=$(date +%s)
  setup_chroot "$suite"
  R=$CHROOTS/$suite
  trap 'stop_lab "$R"' EXIT
  short=$(cyrus_version "$suite"); short=${short%%-*}
  start_lab "$R" corpus "fx$(echo "$short" | tr -d .)"
  [ "$ONLY" = index ] || corpus_fixture "$suite"
  [ "$ONLY" = corpus ] || index_fixture "$suite"
  stop_lab "$R"
  trap - EXIT
  log "$suite: done in $(( $(date +%s) - t0 )) s"
done
