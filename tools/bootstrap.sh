#!/usr/bin/env bash
# Installs what the build and tests need on a Debian machine, only what is missing.
# Usage: tools/bootstrap.sh [host|arm|musl|npm|bench|firmware|bigendian|all]...   (default: host arm)
# As root it runs apt-get; otherwise it prints the exact command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

want_host="make gcc clang libclang-rt-14-dev python3 python3-snappy xz-utils bzip2 zstd awscli openssl pkg-config valgrind"
want_arm="gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user"
# Not in the default groups: bare-metal (boards/cortex-m7) and big-endian (boards/linux-s390x).
want_firmware="gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi"
want_bigendian="gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user"
# LIBC=musl builds (static CLI): musl-dev of this machine's architecture, and
# of arm64 and armhf through dpkg's multiarch (their compiler wrappers,
# aarch64-linux-musl-gcc and arm-linux-musleabihf-gcc, drive the cross gcc).
native_arch=$(dpkg --print-architecture)
# (musl-dev alone would count any architecture's copy as installed.)
want_musl="musl-dev:$native_arch"
musl_arches=""
for a in arm64 armhf; do
  [ "$a" = "$native_arch" ] && continue
  want_musl="$want_musl musl-dev:$a"
  musl_arches="$musl_arches $a"
done

missing() {
  local p out=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || out="$out $p"
  done
  echo "$out"
}

apt_install() {
  local need
  need=$(missing "$@")
  [ -z "$need" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: missing Debian packages; run as root:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends$need" >&2
    exit 1
  fi
  echo "bootstrap: installing$need" >&2
  export DEBIAN_FRONTEND=noninteractive
  # A stale package list is the usual cause of a failed install on a fresh machine.
  apt-get update -qq >/dev/null || apt-get update
  apt-get install -y -qq --no-install-recommends $need >/dev/null
}

npm_install() {
  # Test-only readers and servers, kept out of the system in a git-ignored folder.
  local dir=build/npm
  mkdir -p "$dir"
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  # nodejs-polars's native half is a package per platform that npm leaves out
  # when it is only an optional dependency: name this machine's, same version.
  node -e '
    const fs = require("fs");
    const p = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    const native = { x64: "linux-x64-gnu", arm64: "linux-arm64-gnu" }[process.arch];
    if (native) p.dependencies["nodejs-polars-" + native] = p.dependencies["nodejs-polars"];
    fs.writeFileSync(process.argv[2], JSON.stringify(p, null, 2) + "\n");' tools/npm/package.json "$dir/package.json"
  if [ ! -f "$dir/.installed" ] || ! cmp -s "$dir/package.json" "$dir/.installed"; then
    (cd "$dir" && npm install --no-package-lock --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$dir/package.json" "$dir/.installed"
  fi
}

musl_install() {
  local a
  if [ -n "$(missing $want_musl)" ] && [ "$(id -u)" -eq 0 ]; then
    for a in $musl_arches; do
      dpkg --print-foreign-architectures | grep -qx "$a" || dpkg --add-architecture "$a"
    done
  fi
  apt_install $want_arm $want_musl
}

[ $# -eq 0 ] && set -- host arm

# Not root: name every missing package of every group asked for, in one command.
if [ "$(id -u)" -ne 0 ]; then
  all=""
  for what in "$@"; do
    case "$what" in
      host) all="$all $want_host" ;;
      arm) all="$all $want_arm" ;;
      musl) all="$all $want_arm $want_musl" ;;
      npm) command -v npm >/dev/null 2>&1 || all="$all nodejs npm" ;;
      bench) all="$all time zstd python3" ;;
      firmware) all="$all $want_firmware" ;;
      bigendian) all="$all $want_bigendian" ;;
      all) all="$all $want_host $want_arm $want_musl $want_firmware $want_bigendian" ;;
    esac
  done
  need=$(missing $(printf '%s\n' $all | sort -u))
  if [ -n "$need" ]; then
    echo "bootstrap: missing Debian packages; run as root:" >&2
    case "$need" in *musl-dev:*) echo "  for a in$musl_arches; do dpkg --add-architecture \$a; done" >&2 ;; esac
    echo "  apt-get update && apt-get install -y --no-install-recommends$need" >&2
    exit 1
  fi
fi

for what in "$@"; do
  case "$what" in
    host) apt_install $want_host ;;
    arm)  apt_install $want_arm ;;
    musl) musl_install ;;
    npm)  npm_install ;;
    bench) apt_install time zstd python3 ;;
    firmware) apt_install $want_firmware ;;
    bigendian) apt_install $want_bigendian ;;
    all)  apt_install $want_host $want_arm $want_firmware $want_bigendian; musl_install; npm_install ;;
    *) echo "bootstrap: unknown group '$what'" >&2; exit 2 ;;
  esac
done
