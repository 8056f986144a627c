#!/bin/bash
# Builds Ubuntu chroots holding the OLDEST Cyrus releases we read and regenerates, from what those
# Cyrus servers write, test/fixtures/{corpus-indexed,cyrus-index}-<version>.tar.gz.
# See README.md beside this file. Needs root, network access to archive.ubuntu.com, node, python3.
# Adapted from ../other-cyrus/make-fixtures.sh (Debian 3.2/3.10/3.12); differences: Ubuntu
# suites (universe), per-release fetch items and annotations (lab-client.ts here), a reader user
# with a seen database, and the index fixture also carries the lab's config directory
# (mailboxes.db, seen dbs, annotations.db) with the release's own dumps of them.
#
#   make-fixtures.sh [SUITE...]      SUITE: focal (3.0.13), xenial (2.4.18), bionic (2.5.10)
#                                    default: focal xenial bionic
#   env: CHROOTS=/tmp/chroots  WORK=/tmp/old-cyrus-work  OUT=<repo>/test/fixtures
#        ONLY=corpus|index (one kind of fixture)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
CHROOTS=${CHROOTS:-/tmp/chroots}
WORK=${WORK:-/tmp/old-cyrus-work}
OUT=${OUT:-$ROOT/test/fixtures}
MIRROR=http://archive.ubuntu.com/ubuntu
ONLY=${ONLY:-}
PASSWORD=cyrus-fsck-test
LAB=/srv/ocf                       # the lab's folder, as seen inside the chroot
BIN=/usr/lib/cyrus/bin
PACKAGES="cyrus-imapd cyrus-clients cyrus-admin sasl2-bin libsasl2-modules"
MTIME_BASE=1704067200              # message files: mtime 2024-01-01 00:00:00 UTC + 60 s × uid
READER=reader

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot)"

# ---------------------------------------------------------------- chroot with Cyrus installed
setup_chroot() {
  local suite=$1 R=$CHROOTS/$1
  command -v debootstrap >/dev/null || apt-get install -y debootstrap >&2
  if [ ! -e "$R/.debootstrap-done" ]; then
    log "$suite: debootstrap (minbase) into $R"
    for m in proc sys dev/pts; do mountpoint -q "$R/$m" 2>/dev/null && umount -l "$R/$m"; done
    rm -rf --one-file-system "$R"
    mkdir -p "$CHROOTS"
    # --no-check-gpg: the host has no Ubuntu archive keyring.
    debootstrap --variant=minbase --no-check-gpg "$suite" "$R" "$MIRROR" >&2
    touch "$R/.debootstrap-done"
  fi
  mountpoint -q "$R/proc" || mount -t proc proc "$R/proc"
  if [ ! -e "$R/.cyrus-done" ]; then
    log "$suite: apt-get install $PACKAGES (release pocket, main + universe)"
    printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"
    chmod +x "$R/usr/sbin/policy-rc.d"
    cp /etc/resolv.conf "$R/etc/resolv.conf"
    echo "deb $MIRROR $suite main universe" > "$R/etc/apt/sources.list"
    chroot "$R" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get update >&2
    chroot "$R" env DEBIAN_FRONTEND=noninteractive LC_ALL=C \
      apt-get install -y --no-install-recommends $PACKAGES >&2
    touch "$R/.cyrus-done"
  fi
}

cyrus_version() { chroot "$CHROOTS/$1" dpkg-query -W -f '${Version}' cyrus-imapd; }

tool() {
  local R=$1 name=$2; shift 2
  chroot --userspec=cyrus:mail "$R" env -i TZ=UTC LANG=C PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/ \
    "$BIN/$name" -C "$LAB/imapd.conf" "$@"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

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

# imapd.conf: the settings of ../other-cyrus (minus options these releases do not know); every
# database backend left at the release's default (2.4: skiplist; 3.0: twoskip).
write_conf() {
  cat <<EOF
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
syslog_prefix: ocf
EOF
}

start_lab() {
  local R=$1 L=$1$LAB; shift
  stop_lab "$R"
  rm -rf "$L"
  mkdir -p "$L"/{conf,conf/db,conf/user,conf/quota,conf/sieve,conf/log,conf/proc,conf/socket,spool,lock,proc,socket}
  IMAP_PORT=$(free_port); LMTP_PORT=$(free_port)
  while [ "$LMTP_PORT" = "$IMAP_PORT" ]; do LMTP_PORT=$(free_port); done
  write_conf > "$L/imapd.conf"
  local c="-C $LAB/imapd.conf"
  cat > "$L/cyrus.conf" <<EOF
START {
  recover cmd="$BIN/ctl_cyrusdb $c -r"
}
SERVICES {
  imap cmd="$BIN/imapd $c" listen="127.0.0.1:$IMAP_PORT" prefork=0 maxchild=20
  lmtp cmd="$BIN/lmtpd $c -a" listen="127.0.0.1:$LMTP_PORT" prefork=0 maxchild=10
}
EOF
  for u in admin "$@"; do
    echo "$PASSWORD" | chroot "$R" saslpasswd2 -f "$LAB/sasldb2" -u ocf -c -p "$u"
  done
  chroot "$R" chown -R cyrus:mail "$LAB"
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

client() { node "$WORK/js/test/harness/old-cyrus/lab-client.js" "$@"; }

build_client() {
  log "compiling lab-client.ts"
  rm -rf "$WORK/js"
  (cd "$ROOT" && npx tsc -p test/harness/old-cyrus/tsconfig.json --outDir "$WORK/js")
  echo '{"type":"module"}' > "$WORK/js/package.json"
  ln -s "$ROOT/test/fixtures" "$WORK/js/test/fixtures"   # mime.ts reads cassandane-mime/ from there
}

syslog_since() {
  tail -c +"$(($2 + 1))" "$1$LAB/syslog" | awk '{ if (match($2, /^<[0-9]+>/)) { p = substr($2, 2, RLENGTH - 2) % 8; if (p < 7) print } }'
}

deterministic_tar() { # out.tar.gz dir-in-cwd
  tar --sort=name --owner=0 --group=0 --numeric-owner -cf - "$2" | gzip -n -9 > "$1.tmp"
  mv "$1.tmp" "$1"
}

describe_env() { # suite version -> ENVIRONMENT.txt text
  cat <<EOF
Cyrus: Ubuntu $1 package cyrus-imapd $2 ($(chroot "$CHROOTS/$1" dpkg-query -W -f '${Version}' cyrus-common) cyrus-common), from $MIRROR $1 (release pocket, universe), run in a debootstrap --variant=minbase chroot
Made by: test/harness/old-cyrus/make-fixtures.sh on $(date -u +%Y-%m-%d)
TZ=UTC for master and every tool (server time zone UTC)
imapd.conf: imapd.conf beside this file (paths are inside the chroot; database backends are the release's defaults)
EOF
}

# The backend of a Cyrus database file, by its magic (for cyr_dbtool).
db_backend() {
  case "$(head -c 20 "$1" | tr -d '\000' | LC_ALL=C tr -c '[:alnum:] ' '.')" in
    *twoskip*) echo twoskip ;; *skiplist*) echo skiplist ;; *) echo flat ;;
  esac
}

# ---------------------------------------------------------------- fixture 1: the corpus, reconstructed
corpus_fixture() {
  local suite=$1 R=$CHROOTS/$1 version short stage mbdir
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
  mkdir "$s/mailbox"
  cp -p "$R$mbdir"/* "$s/mailbox/"
  tool "$R" mbexamine user.corpus | sed "s#$mbdir#<mailbox>#g" > "$s/mbexamine.txt"
  local before after
  before=$(cd "$R$mbdir" && sha1sum cyrus.* *.)
  {
    echo
    echo "## reconstruct user.corpus   (a second run: what it reports or changes on its own output)"
    tool "$R" reconstruct user.corpus 2>&1 && echo "## exit 0" || echo "## exit $?"
    after=$(cd "$R$mbdir" && sha1sum cyrus.* *.)
    if [ "$before" = "$after" ]; then echo "## (it changed no file of the mailbox folder)"
    else echo "## it CHANGED these files (the fixture's mailbox/ is the state before it):"; { diff <(echo "$before") <(echo "$after") || true; } | grep '^>' | awk '{print "##   " $3}'
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

# ---------------------------------------------------------------- fixture 2: a lived-in mailbox + config dir
index_fixture() {
  local suite=$1 R=$CHROOTS/$1 version short user stage mbdir L=$CHROOTS/$1$LAB
  version=$(cyrus_version "$suite"); short=${version%%-*}
  user=fx$(echo "$short" | tr -d .)
  log "$suite: index fixture user.$user by Cyrus $version"
  client populate "$IMAP_PORT" "$LMTP_PORT" "$user" "$short" "$READER" >&2
  mbdir=$(tool "$R" mbpath "user.$user" | tail -n 1)
  stage=$WORK/stage/$suite-index
  rm -rf "$stage"; mkdir -p "$stage/index-$short"
  local s=$stage/index-$short
  local before after
  before=$(cd "$R$mbdir" && sha1sum cyrus.* *.)
  client dump "$IMAP_PORT" "$user" "$READER" "$s" >&2
  tool "$R" mbexamine "user.$user" | sed "s#$mbdir#<mailbox>#g" > "$s/mbexamine.txt"
  tool "$R" unexpunge -l "user.$user" > "$s/unexpunge.txt"
  after=$(cd "$R$mbdir" && sha1sum cyrus.* *.)
  [ "$before" = "$after" ] || die "the IMAP dump or mbexamine changed the spool"
  mkdir "$s/mailbox"
  cp -p "$R$mbdir"/* "$s/mailbox/"
  # The lab as a whole, quiet (master stopped): the config directory's databases and the
  # spool, for `cyrus-fsck check -C lab/imapd.conf`.
  stop_lab "$R"
  mkdir -p "$s/lab"
  cp "$L/imapd.conf" "$s/lab/imapd.conf"
  (cd "$L" && find conf spool -type d -print0 | (cd "$s/lab" && xargs -0 mkdir -p))
  (cd "$L" && find conf spool -type f ! -path 'conf/socket/*' ! -path 'conf/proc/*' -print0 | xargs -0 -I{} cp -p {} "$s/lab/{}")
  {
    echo "## ctl_mboxlist -d"
    tool "$R" ctl_mboxlist -d 2>&1
  } > "$s/ctl_mboxlist-d.txt"
  : > "$s/dbtool.txt"
  local f b
  for f in $(cd "$L" && find conf -type f \( -name '*.db' -o -name '*.seen' -o -name '*.sub' \) | sort); do
    b=$(db_backend "$L/$f")
    { echo "## cyr_dbtool $LAB/$f $b show"; tool "$R" cyr_dbtool "$LAB/$f" "$b" show 2>&1 || echo "## exit $?"; } >> "$s/dbtool.txt"
  done
  # Last, on the lab (not the copies): does the release's reconstruct agree with what its server
  # wrote? (2.4 prints "updating sync_crc OLD => NEW" when the stored SYNC_CRC is not its own.)
  before=$(cd "$R$mbdir" && sha1sum cyrus.* *.)
  {
    echo "## reconstruct user.$user   (after the copies above were taken; on the lab's folder)"
    tool "$R" reconstruct "user.$user" 2>&1 && echo "## exit 0" || echo "## exit $?"
    after=$(cd "$R$mbdir" && sha1sum cyrus.* *.)
    if [ "$before" = "$after" ]; then echo "## (it changed no file of the mailbox folder)"
    else echo "## it CHANGED these files:"; { diff <(echo "$before") <(echo "$after") || true; } | grep '^>' | awk '{print "##   " $3}'
    fi
  } > "$s/reconstruct.txt"
  cp "$L/imapd.conf" "$s/imapd.conf"
  describe_env "$suite" "$version" > "$s/ENVIRONMENT.txt"
  cat > "$s/info.txt" <<EOF
mailbox: user.$user (user $user's INBOX), written natively by Cyrus $version (no reconstruct -V); user.$READER exists and has lrsw on it
filled by: test/harness/old-cyrus/lab-client.ts populate (IMAP as admin authorized as $user / $READER, one LMTP delivery)
expected.json: lab-client.ts dump: IMAP EXAMINE INBOX + UID FETCH 1:* (the items in imap.json fetch_items) + GETMETADATA synccrcs where the server has METADATA; reader_seen: the UIDs $READER sees \\Seen (UID FETCH FLAGS as $READER)
mbexamine.txt: mbexamine user.$user (path replaced by <mailbox>); unexpunge.txt: unexpunge -l user.$user
the dump, mbexamine and unexpunge -l changed no byte of the mailbox folder (checked by sha1sum)
lab/: the lab after master was stopped: imapd.conf, conf/ (mailboxes.db, user/*/*.seen, annotations.db ...), spool/ (paths inside the chroot were $LAB/...)
ctl_mboxlist-d.txt: ctl_mboxlist -d; dbtool.txt: cyr_dbtool <file> <backend by magic> show for every database in conf/ (both run after master stopped)
reconstruct.txt: then reconstruct user.$user on the lab's folder (not the copies) and whether it changed a file
EOF
  chmod 600 "$s"/mailbox/*
  (cd "$stage" && deterministic_tar "$OUT/cyrus-index-$short.tar.gz" "index-$short")
  log "$suite: wrote $OUT/cyrus-index-$short.tar.gz ($(stat -c %s "$OUT/cyrus-index-$short.tar.gz") bytes; $(grep -m1 'Minor Version' "$s/mbexamine.txt" | tr -s ' '))"
}

# ---------------------------------------------------------------- main
SUITES=("$@")
[ ${#SUITES[@]} -gt 0 ] || SUITES=(focal xenial bionic)
mkdir -p "$WORK" "$OUT"
build_client
for suite in "${SUITES[@]}"; do
  t0=$(date +%s)
  setup_chroot "$suite"
  R=$CHROOTS/$suite
  trap 'stop_lab "$R"' EXIT
  short=$(cyrus_version "$suite"); short=${short%%-*}
  if [ "$ONLY" != index ]; then
    start_lab "$R" corpus
    corpus_fixture "$suite"
    stop_lab "$R"
  fi
  if [ "$ONLY" != corpus ]; then
    # A fresh lab, so mailboxes.db and the spool hold only the index fixture's users.
    start_lab "$R" "fx$(echo "$short" | tr -d .)" "$READER"
    index_fixture "$suite"
    stop_lab "$R"
  fi
  trap - EXIT
  log "$suite: done in $(( $(date +%s) - t0 )) s"
done
