#!/bin/bash
# Builds Debian and Ubuntu chroots holding real Cyrus releases other than the installed 3.6.1 and
# regenerates, from what those Cyrus servers write, test/fixtures/{corpus-indexed,cyrus-index}-<version>.tar.gz.
# See README.md beside this file. Needs root, network access to the suite's mirror (only while a
# chroot is built), node, python3.
#
#   make-fixtures.sh [SUITE...]      SUITE: a row of the table below, e.g. bullseye (3.2.6) or
#                                    xenial (2.4.18); default: every row, in table order
#   env: CHROOTS=/tmp/chroots  WORK=/tmp/release-cyrus-work  OUT=<repo>/test/fixtures
#        ONLY=corpus|index (one kind of fixture)
#
# Idempotent: an existing chroot with Cyrus installed is reused; each run starts a fresh lab
# (Cyrus configuration + spool) inside the chroot and rewrites the fixture tarballs.
set -euo pipefail

# ---------------------------------------------------------------- the suites
# One row per suite; the columns are everything that differs between the releases:
#   distro  debian: deb.debian.org, the archive keyring checked, debootstrap's sources.list
#           ubuntu: archive.ubuntu.com, --no-check-gpg (the host has no Ubuntu keyring),
#                   sources.list "<suite> main universe" (release pocket only)
#   era     3.1+:  imapd.conf has annotation_enable_legacy_commands, cyrus.conf runs idled; the
#                  corpus's second step is `reconstruct -n -G` (report only); the IMAP client
#                  uses every fetch item / annotation / METADATA unasked
#           old:   (2.4, 2.5, 3.0) neither config line, no idled; the second step is a plain
#                  second `reconstruct`; lab-client --probe asks the server what it offers;
#                  database backends stay the release's default (2.4: skiplist; 2.5, 3.0: twoskip)
#   index   mailbox: one lab holds user.corpus and user.fxNNN; the index fixture is the mailbox
#                    (the chroot's lab keeps user.corpus: test/message/make-release-fixtures.sh uses it)
#           lab:     the index fixture gets a fresh lab of its own with a second user (reader,
#                    with a seen entry for the mailbox), and also carries that lab (conf/ + spool/)
#                    with ctl_mboxlist -d, cyr_dbtool show of every database and a last reconstruct
# The Cyrus column is what the suite installed when the committed fixtures were made (the
# fixture's name follows the version actually installed, so sid may move on).
SUITE_TABLE='
# suite    distro  era   index    Cyrus
bullseye   debian  3.1+  mailbox  3.2.6
sid        debian  3.1+  mailbox  3.12.4
trixie     debian  3.1+  mailbox  3.10.2
focal      ubuntu  old   lab      3.0.13
xenial     ubuntu  old   lab      2.4.18
bionic     ubuntu  old   lab      2.5.10
'
PACKAGES="cyrus-imapd cyrus-clients cyrus-admin sasl2-bin libsasl2-modules"

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
CHROOTS=${CHROOTS:-/tmp/chroots}
WORK=${WORK:-/tmp/release-cyrus-work}
OUT=${OUT:-$ROOT/test/fixtures}
ONLY=${ONLY:-}
PASSWORD=cyrus-fsck-test
LAB=/srv/ocf                       # the lab's folder, as seen inside the chroot
BIN=/usr/lib/cyrus/bin
READER=reader                      # the second user of index=lab suites
# Message files get mtime 2024-01-01 00:00:00 UTC + 60 s × uid (reconstruct takes INTERNALDATE from it).
MTIME_BASE=1704067200
MADE_BY=test/harness/release-cyrus

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

suites_in_table() { sed -e '/^#/d' -e '/^$/d' <<<"$SUITE_TABLE" | awk '{ print $1 }'; }

# Sets, from the suite's row: DISTRO ERA INDEX, and the settings they imply.
load_suite() {
  local row
  row=$(sed -e '/^#/d' <<<"$SUITE_TABLE" | awk -v s="$1" '$1 == s')
  [ -n "$row" ] || die "unknown suite $1 (known: $(suites_in_table | tr '\n' ' '))"
  read -r _ DISTRO ERA INDEX _ <<<"$row"
  case $DISTRO in
    debian)
      MIRROR=http://deb.debian.org/debian
      DEBOOTSTRAP_OPTS=()
      SOURCES_LIST=''                                   # debootstrap's own (main) has Cyrus
      ENV_ORIGIN=''
      ;;
    ubuntu)
      MIRROR=http://archive.ubuntu.com/ubuntu
      DEBOOTSTRAP_OPTS=(--no-check-gpg)                 # the host has no Ubuntu archive keyring
      SOURCES_LIST="deb $MIRROR $1 main universe"       # Cyrus is in universe; release pocket only
      ENV_ORIGIN=", from $MIRROR $1 (release pocket, universe)"
      ;;
    *) die "suite $1: distro $DISTRO?" ;;
  esac
  case $ERA in
    3.1+)
      CONF_LEGACY_ANNOT=yes; IDLED=yes
      RECHECK_ARGS=(-n -G)
      RECHECK_NOTE='(report only: re-parse every file and compare)'
      CLIENT_OPTS=()
      ENV_CONF_NOTE='paths are inside the chroot'
      ;;
    old)
      CONF_LEGACY_ANNOT=no; IDLED=no                    # options these releases do not know
      RECHECK_ARGS=()                                   # 2.4 has no -n/-G like 3.x
      RECHECK_NOTE='(a second run: what it reports or changes on its own output)'
      CLIENT_OPTS=(--probe)
      ENV_CONF_NOTE="paths are inside the chroot; database backends are the release's defaults"
      ;;
    *) die "suite $1: era $ERA?" ;;
  esac
  case $INDEX in
    mailbox) ;;
    lab) CLIENT_OPTS+=("--reader=$READER") ;;
    *) die "suite $1: index $INDEX?" ;;
  esac
}

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
    debootstrap --variant=minbase "${DEBOOTSTRAP_OPTS[@]}" "$suite" "$R" "$MIRROR" >&2
    touch "$R/.debootstrap-done"
  fi
  mountpoint -q "$R/proc" || mount -t proc proc "$R/proc"
  if [ ! -e "$R/.cyrus-done" ]; then
    log "$suite: apt-get install $PACKAGES${SOURCES_LIST:+ ($SOURCES_LIST)}"
    # No daemon may start at install time (the package would start the system's Cyrus).
    printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"
    chmod +x "$R/usr/sbin/policy-rc.d"
    cp /etc/resolv.conf "$R/etc/resolv.conf"
    [ -z "$SOURCES_LIST" ] || echo "$SOURCES_LIST" > "$R/etc/apt/sources.list"
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

# imapd.conf: the settings of the 3.6.1 harness; every database backend left at the release's
# default; annotation_enable_legacy_commands only where the release knows it (era 3.1+).
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
EOF
  [ "$CONF_LEGACY_ANNOT" = no ] || echo 'annotation_enable_legacy_commands: yes'
  echo 'syslog_prefix: ocf'
}

start_lab() { # root user... (the SASL users besides admin)
  local R=$1 L=$1$LAB; shift
  stop_lab "$R"
  rm -rf "$L"
  mkdir -p "$L"/{conf,conf/db,conf/user,conf/quota,conf/sieve,conf/log,conf/proc,conf/socket,spool,lock,proc,socket}
  IMAP_PORT=$(free_port); LMTP_PORT=$(free_port)
  while [ "$LMTP_PORT" = "$IMAP_PORT" ]; do LMTP_PORT=$(free_port); done
  write_conf > "$L/imapd.conf"
  local c="-C $LAB/imapd.conf"
  {
    cat <<EOF
START {
  recover cmd="$BIN/ctl_cyrusdb $c -r"
}
SERVICES {
  imap cmd="$BIN/imapd $c" listen="127.0.0.1:$IMAP_PORT" prefork=0 maxchild=20
  lmtp cmd="$BIN/lmtpd $c -a" listen="127.0.0.1:$LMTP_PORT" prefork=0 maxchild=10
}
EOF
    [ "$IDLED" = no ] || printf 'DAEMON {\n  idled cmd="%s"\n}\n' "$BIN/idled $c"
  } > "$L/cyrus.conf"
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

client() { node "$WORK/js/$MADE_BY/lab-client.js" "$@"; }

build_client() {
  log "compiling lab-client.ts"
  rm -rf "$WORK/js"
  (cd "$ROOT" && npx tsc -p "$MADE_BY/tsconfig.json" --outDir "$WORK/js")
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

# "## it CHANGED these files" lines: the files whose sha1sum line differs ($1 before, $2 after).
changed_files() { { diff <(echo "$1") <(echo "$2") || true; } | grep '^>' | awk '{print "##   " $3}'; }

describe_env() { # suite version -> ENVIRONMENT.txt text
  local distro=Debian; [ "$DISTRO" = debian ] || distro=Ubuntu
  cat <<EOF
Cyrus: $distro $1 package cyrus-imapd $2 ($(chroot "$CHROOTS/$1" dpkg-query -W -f '${Version}' cyrus-common) cyrus-common)$ENV_ORIGIN, run in a debootstrap --variant=minbase chroot
Made by: $MADE_BY/make-fixtures.sh on $(date -u +%Y-%m-%d)
TZ=UTC for master and every tool (server time zone UTC)
imapd.conf: imapd.conf beside this file ($ENV_CONF_NOTE)
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
  client create "$IMAP_PORT" user.corpus "${CLIENT_OPTS[@]}"
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
  local before after recheck
  recheck=$(echo reconstruct "${RECHECK_ARGS[@]}" user.corpus)
  before=$(cd "$R$mbdir" && sha1sum cyrus.* *.)
  {
    echo
    echo "## $recheck   $RECHECK_NOTE"
    tool "$R" reconstruct "${RECHECK_ARGS[@]}" user.corpus 2>&1 && echo "## exit 0" || echo "## exit $?"
    after=$(cd "$R$mbdir" && sha1sum cyrus.* *.)
    if [ "$before" = "$after" ]; then echo "## (it changed no file of the mailbox folder)"
    else echo "## it CHANGED these files (the fixture's mailbox/ is the state before it):"; changed_files "$before" "$after"
    fi
    echo
    echo "## syslog (priority above debug) during both runs: <unix time> <PRI>ident[pid]: message"
    syslog_since "$R" "$off" | sed "s#$mbdir#<mailbox>#g"
  } >> "$s/reconstruct.txt"
  client verify-corpus "$IMAP_PORT" corpus "$src/corpus-indexed/MANIFEST.tsv" "${CLIENT_OPTS[@]}" | tee "$s/imap-verify.txt" >&2
  cp "$src/corpus-indexed/MANIFEST.tsv" "$s/"
  cp "$R$LAB/imapd.conf" "$s/imapd.conf"
  describe_env "$suite" "$version" > "$s/ENVIRONMENT.txt"
  echo "Mailbox: user.corpus, created over IMAP (admin CREATE), then the 881 files copied in and 'reconstruct user.corpus' run" >> "$s/ENVIRONMENT.txt"
  chmod 600 "$s"/mailbox/*
  (cd "$stage" && deterministic_tar "$OUT/corpus-indexed-$short.tar.gz" corpus-indexed)
  log "$suite: wrote $OUT/corpus-indexed-$short.tar.gz ($(stat -c %s "$OUT/corpus-indexed-$short.tar.gz") bytes; $(grep -m1 'Minor Version' "$s/mbexamine.txt" | tr -s ' '))"
}

# ---------------------------------------------------------------- fixture 2: a lived-in mailbox (index=lab: + its lab)
index_fixture() {
  local suite=$1 R=$CHROOTS/$1 version short user stage mbdir L=$CHROOTS/$1$LAB
  version=$(cyrus_version "$suite"); short=${version%%-*}
  user=fx$(echo "$short" | tr -d .)
  log "$suite: index fixture user.$user by Cyrus $version"
  client populate "$IMAP_PORT" "$LMTP_PORT" "$user" "$short" "${CLIENT_OPTS[@]}" >&2
  mbdir=$(tool "$R" mbpath "user.$user" | tail -n 1)
  stage=$WORK/stage/$suite-index
  rm -rf "$stage"; mkdir -p "$stage/index-$short"
  local s=$stage/index-$short
  local before after
  before=$(cd "$R$mbdir" && sha1sum cyrus.* *.)
  client dump "$IMAP_PORT" "$user" "$s" "${CLIENT_OPTS[@]}" >&2
  tool "$R" mbexamine "user.$user" | sed "s#$mbdir#<mailbox>#g" > "$s/mbexamine.txt"
  tool "$R" unexpunge -l "user.$user" > "$s/unexpunge.txt"
  after=$(cd "$R$mbdir" && sha1sum cyrus.* *.)
  [ "$before" = "$after" ] || die "the IMAP dump or mbexamine changed the spool"
  mkdir "$s/mailbox"
  cp -p "$R$mbdir"/* "$s/mailbox/"
  [ "$INDEX" = mailbox ] || lab_extras "$suite" "$user" "$mbdir" "$s"
  cp "$L/imapd.conf" "$s/imapd.conf"
  describe_env "$suite" "$version" > "$s/ENVIRONMENT.txt"
  index_info "$version" "$user" > "$s/info.txt"
  chmod 600 "$s"/mailbox/*
  (cd "$stage" && deterministic_tar "$OUT/cyrus-index-$short.tar.gz" "index-$short")
  log "$suite: wrote $OUT/cyrus-index-$short.tar.gz ($(stat -c %s "$OUT/cyrus-index-$short.tar.gz") bytes; $(grep -m1 'Minor Version' "$s/mbexamine.txt" | tr -s ' '))"
}

# index=lab: the lab as a whole, quiet (master stopped): the config directory's databases and
# the spool, for `cyrus-fsck check -C lab/imapd.conf`, with the release's own dumps of them.
lab_extras() { # suite user mbdir stage-dir
  local suite=$1 R=$CHROOTS/$1 user=$2 mbdir=$3 s=$4 L=$CHROOTS/$1$LAB before after
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
    else echo "## it CHANGED these files:"; changed_files "$before" "$after"
    fi
  } > "$s/reconstruct.txt"
}

index_info() { # version user -> info.txt text
  local version=$1 user=$2
  if [ "$INDEX" = mailbox ]; then
    cat <<EOF
mailbox: user.$user (user $user's INBOX), written natively by Cyrus $version (no reconstruct -V)
filled by: $MADE_BY/lab-client.ts populate (IMAP as admin authorized as $user, one LMTP delivery)
expected.json: lab-client.ts dump: IMAP EXAMINE INBOX + UID FETCH 1:* (UID FLAGS MODSEQ RFC822.SIZE INTERNALDATE SAVEDATE CREATEDMODSEQ DIGEST.SHA1 BODY.PEEK[]) + GETMETADATA /shared/vendor/cmu/cyrus-imapd/synccrcs
EOF
  else
    cat <<EOF
mailbox: user.$user (user $user's INBOX), written natively by Cyrus $version (no reconstruct -V); user.$READER exists and has lrsw on it
filled by: $MADE_BY/lab-client.ts populate (IMAP as admin authorized as $user / $READER, one LMTP delivery)
expected.json: lab-client.ts dump: IMAP EXAMINE INBOX + UID FETCH 1:* (the items in imap.json fetch_items) + GETMETADATA synccrcs where the server has METADATA; reader_seen: the UIDs $READER sees \\Seen (UID FETCH FLAGS as $READER)
EOF
  fi
  cat <<EOF
mbexamine.txt: mbexamine user.$user (path replaced by <mailbox>); unexpunge.txt: unexpunge -l user.$user
the dump, mbexamine and unexpunge -l changed no byte of the mailbox folder (checked by sha1sum)
EOF
  [ "$INDEX" = mailbox ] || cat <<EOF
lab/: the lab after master was stopped: imapd.conf, conf/ (mailboxes.db, user/*/*.seen, annotations.db ...), spool/ (paths inside the chroot were $LAB/...)
ctl_mboxlist-d.txt: ctl_mboxlist -d; dbtool.txt: cyr_dbtool <file> <backend by magic> show for every database in conf/ (both run after master stopped)
reconstruct.txt: then reconstruct user.$user on the lab's folder (not the copies) and whether it changed a file
EOF
}

# ---------------------------------------------------------------- main
SUITES=("$@")
[ ${#SUITES[@]} -gt 0 ] || mapfile -t SUITES < <(suites_in_table)
for suite in "${SUITES[@]}"; do load_suite "$suite"; done   # every name known before any work
mkdir -p "$WORK" "$OUT"
build_client
for suite in "${SUITES[@]}"; do
  t0=$(date +%s)
  load_suite "$suite"
  setup_chroot "$suite"
  R=$CHROOTS/$suite
  trap 'stop_lab "$R"' EXIT
  short=$(cyrus_version "$suite"); short=${short%%-*}
  fx=fx$(echo "$short" | tr -d .)
  if [ "$INDEX" = mailbox ]; then
    # One lab for both fixtures (it stays in the chroot with user.corpus in it).
    start_lab "$R" corpus "$fx"
    [ "$ONLY" = index ] || corpus_fixture "$suite"
    [ "$ONLY" = corpus ] || index_fixture "$suite"
    stop_lab "$R"
  else
    if [ "$ONLY" != index ]; then
      start_lab "$R" corpus
      corpus_fixture "$suite"
      stop_lab "$R"
    fi
    if [ "$ONLY" != corpus ]; then
      # A fresh lab, so mailboxes.db and the spool hold only the index fixture's users.
      start_lab "$R" "$fx" "$READER"
      index_fixture "$suite"
      stop_lab "$R"
    fi
  fi
  trap - EXIT
  log "$suite: done in $(( $(date +%s) - t0 )) s"
done
