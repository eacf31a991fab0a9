#!/usr/bin/env bash
# Makes the certificates for the HTTPS variant of the S3 test server in DIR:
#   ca.pem, ca-key.pem          test CA (trust it: AWS_CA_BUNDLE=DIR/ca.pem)
#   server.pem, server-key.pem  CN 127.0.0.1, SAN IP:127.0.0.1, DNS:localhost, signed by the CA
#   expired.pem                 same names and key, signed by the CA, valid during 2020 only
#   wrong-host.pem              signed by the CA, but for wrong-host.invalid only
#   untrusted.pem               right names, but signed by another CA (other-ca.pem)
# Every leaf uses server-key.pem, so any of them goes with
#   server.mjs --tls DIR/NAME.pem,DIR/server-key.pem
# Usage: make_certs.sh DIR      Needs: openssl (Debian package openssl).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
command -v openssl >/dev/null 2>&1 || { echo "make_certs.sh: openssl not found (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$1"
cd "$1"
log=openssl.log
: >"$log"
run() { "$@" >>"$log" 2>&1 || { echo "make_certs.sh: failed: $*" >&2; tail -5 "$log" >&2; exit 1; }; }

ca() { # name subject
  run openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout "$1-key.pem" -out "$1.pem" \
    -subj "/CN=$2" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}
ca ca "floe test CA"
ca other-ca "floe untrusted test CA"

run openssl genrsa -out server-key.pem 2048

leaf_ext() { # SAN -> extension file
  cat >"leaf.ext" <<EOF
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$1
EOF
}

leaf() { # out.pem CN SAN ca-name
  run openssl req -new -key server-key.pem -subj "/CN=$2" -out leaf.csr
  leaf_ext "$3"
  run openssl x509 -req -in leaf.csr -CA "$4.pem" -CAkey "$4-key.pem" -CAcreateserial -days 825 -sha256 \
    -extfile leaf.ext -out "$1"
}
leaf server.pem 127.0.0.1 "IP:127.0.0.1,DNS:localhost" ca
leaf wrong-host.pem wrong-host.invalid "DNS:wrong-host.invalid" ca
leaf untrusted.pem 127.0.0.1 "IP:127.0.0.1,DNS:localhost" other-ca

# Expired: `openssl ca` takes explicit start and end dates, `openssl x509` does not.
mkdir -p ca-db
: >ca-db/index.txt
echo 1000 >ca-db/serial
cat >ca-db/ca.cnf <<EOF
[ca]
default_ca = test
[test]
database = ca-db/index.txt
serial = ca-db/serial
new_certs_dir = ca-db
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
[ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
EOF
run openssl req -new -key server-key.pem -subj "/CN=127.0.0.1" -out leaf.csr
run openssl ca -batch -notext -config ca-db/ca.cnf -cert ca.pem -keyfile ca-key.pem -in leaf.csr \
  -startdate 20200101000000Z -enddate 20201231000000Z -extensions ext -out expired.pem
rm -rf leaf.csr leaf.ext ca-db ./*.srl
echo "make_certs.sh: wrote" ./*.pem "in $PWD"
