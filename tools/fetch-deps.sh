#!/usr/bin/env bash
# Fetches floe's third-party sources as pinned Debian source packages (orig tarballs
# only), checks each against a sha256 pinned here, unpacks them under stable names
# and generates zstd's single-file decoder.
#
# Usage: tools/fetch-deps.sh [DEPS_DIR]        (default: build/deps under the repo)
#
# Result:  DEPS_DIR/mbedtls  DEPS_DIR/zstd  DEPS_DIR/jsmn  DEPS_DIR/gen/zstddeclib.c
#          DEPS_DIR/.fetched (stamp for mk/deps.mk, rewritten on every successful run)
#
# apt-get runs with a private sources list and state under DEPS_DIR/apt, so
# /etc/apt and the system package lists are never touched. A second run reuses
# what is there and needs no network. Needs: apt, tar, xz, bzip2, gzip and
# python3 or sh (tools/bootstrap.sh host installs them).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
deps=${1:-$top/build/deps}
mkdir -p "$deps"
deps=$(cd "$deps" && pwd)

suite=trixie
mirror=http://deb.debian.org/debian
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# dir  source-package  Debian-version  orig-tarball  sha256(orig-tarball)
pins="
mbedtls mbedtls 3.6.6-0.1~deb13u1 mbedtls_3.6.6.orig.tar.bz2     8fb65fae8dcae5840f793c0a334860a411f884cc537ea290ce1c52bb64ca007a
zstd    libzstd 1.5.7+dfsg-1      libzstd_1.5.7+dfsg.orig.tar.xz 0c092ef267edce57ba7f3f2645c861f72eaf5e76273c6c3632869423464b90a5
jsmn    jsmn    1.1.0-2           jsmn_1.1.0.orig.tar.gz         5f0913a10657fe7ec8d5794ccf00a01000e3e1f2f1e1f143c34a0f7b47edcb38
"

say() { echo "deps: $*"; }
die() { echo "deps: error: $*" >&2; exit 1; }

need_tools() {
  local t miss=""
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || miss="$miss $t"; done
  [ -z "$miss" ] || die "missing tools:$miss (run tools/bootstrap.sh host as root)"
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# Two builds (say host and arm) may start the fetch at once: serialize them.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$deps/.lock"
  flock 9
fi

apt_dir=$deps/apt
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::Etc::Preferences=/dev/null"
  -o "Dir::Etc::PreferencesParts=/dev/null"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
)
apt_ready=0

# The private index is only needed when something must be downloaded, so an
# offline re-run never gets here.
apt_prepare() {
  [ "$apt_ready" -eq 1 ] && return 0
  need_tools apt-get
  [ -r "$keyring" ] || die "$keyring missing (Debian package debian-archive-keyring)"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  echo "deb-src [signed-by=$keyring] $mirror $suite main" >"$apt_dir/sources.list"
  say "updating private apt index ($suite sources)"
  apt-get "${apt_opts[@]}" -qq update >/dev/null || die "apt-get update failed (network? $mirror)"
  apt_ready=1
}

# Prints "URL SHA256" of the orig tarball as the signed Debian index lists it.
orig_uri() {
  local pkg=$1 ver=$2 file=$3 line
  line=$(apt-get "${apt_opts[@]}" -qq source --print-uris "$pkg=$ver" 2>/dev/null |
    awk -v f="$file" '$2 == f { gsub("\047", "", $1); sub("^SHA256:", "", $4); print $1, $4 }') || true
  echo "$line"
}

# Debian's pool path, used only when the pinned version has left the suite's index
# (a point release replaced it); the pinned sha256 still decides.
pool_url() {
  local pkg=$1 file=$2 prefix
  case "$pkg" in lib?*) prefix=${pkg:0:4} ;; *) prefix=${pkg:0:1} ;; esac
  echo "$mirror/pool/main/$prefix/$pkg/${file//+/%2b}"
}

download() {
  local pkg=$1 ver=$2 file=$3 sum=$4 dest=$5 uri url isum
  apt_prepare
  uri=$(orig_uri "$pkg" "$ver" "$file")
  if [ -n "$uri" ]; then
    url=${uri% *} isum=${uri#* }
    [ "$isum" = "$sum" ] || die "$file: Debian index says sha256 $isum, pinned $sum"
  else
    url=$(pool_url "$pkg" "$file")
    say "$pkg $ver is no longer in $suite's index; trying $url"
  fi
  say "downloading $file"
  local part=$deps/dl/partial
  mkdir -p "$part"
  # apt's own downloader, unprivileged like apt itself, checking the hash as it goes.
  if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$part"; fi
  rm -f "$part/$file" "$part/$file.FAILED"
  /usr/lib/apt/apt-helper "${apt_opts[@]}" -qq download-file "$url" "$part/$file" "SHA256:$sum" >/dev/null ||
    die "download of $url failed or did not match the pinned sha256"
  mv -f "$part/$file" "$dest"
  [ "$(id -u)" -ne 0 ] || chown 0:0 "$dest"
}

unpack() {
  local dir=$1 tarball=$2 sum=$3 tmp top_entry
  say "unpacking $(basename "$tarball") -> $dir"
  tmp=$deps/.unpack-$dir
  rm -rf "$tmp" "${deps:?}/$dir"
  mkdir -p "$tmp"
  # -m: files get the unpack time, not the release's, so a pin change looks
  # newer than every object built from the previous version.
  tar -xmf "$tarball" -C "$tmp" --no-same-owner
  # Every orig tarball holds one top directory (name-version); strip it so the
  # path does not change with the version.
  top_entry=$(ls -A "$tmp")
  if [ "$(echo "$top_entry" | wc -l)" -ne 1 ] || [ ! -d "$tmp/$top_entry" ]; then
    die "$(basename "$tarball"): expected one top directory, got: $top_entry"
  fi
  mv "$tmp/$top_entry" "$deps/$dir"
  rmdir "$tmp"
  echo "$sum" >"$deps/$dir/.floe-unpacked"
}

need_tools tar sha256sum
mkdir -p "$deps/dl"
regen_zstd=0

while read -r dir pkg ver file sum; do
  [ -n "$dir" ] || continue
  if [ "$(cat "$deps/$dir/.floe-unpacked" 2>/dev/null)" = "$sum" ]; then
    say "$dir $ver: up to date"
    continue
  fi
  case "$file" in
    *.xz) need_tools xz ;;
    *.bz2) need_tools bzip2 ;;
    *.gz) need_tools gzip ;;
  esac
  tarball=$deps/dl/$file
  if [ ! -f "$tarball" ] || [ "$(sha256_of "$tarball")" != "$sum" ]; then
    download "$pkg" "$ver" "$file" "$sum" "$tarball"
  fi
  # Checked again here whatever fetched it: the pin, not the transport, is the trust anchor.
  got=$(sha256_of "$tarball")
  [ "$got" = "$sum" ] || { mv -f "$tarball" "$tarball.bad"; die "$file: sha256 $got, pinned $sum (kept as $file.bad)"; }
  unpack "$dir" "$tarball" "$sum"
  if [ "$dir" = zstd ]; then regen_zstd=1; fi
done <<<"$pins"

if [ "$regen_zstd" -eq 1 ] || [ ! -s "$deps/gen/zstddeclib.c" ]; then
  say "generating gen/zstddeclib.c"
  "$top/tools/gen-zstddeclib.sh" "$deps/zstd" "$deps/gen/zstddeclib.c"
fi

# The stamp mk/deps.mk depends on; it records what is unpacked.
tmp_stamp=$deps/.fetched.tmp
awk 'NF { print $1, $3, $5 }' <<<"$pins" >"$tmp_stamp"
mv -f "$tmp_stamp" "$deps/.fetched"
say "ok ($deps)"
