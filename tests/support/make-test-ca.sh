#!/bin/sh
# Makes a throwaway CA and a server certificate for 127.0.0.1 in DIR (shared/notes/platform.md):
#   ca.pem (trust this), srv.pem + srv.key (for `syncserver serve --tls-cert/--tls-key`) and
#   pin.txt: the server key's pin as libcurl takes it, "sha256//<base64>".
# Usage: make-test-ca.sh DIR   (needs certtool from gnutls-bin)
set -eu
cd "$1"
printf 'cn="Test CA"\nca\ncert_signing_key\nexpiration_days=30\n' > ca.tmpl
printf 'cn="127.0.0.1"\nip_address="127.0.0.1"\ntls_www_server\nsigning_key\nencryption_key\nexpiration_days=30\n' > srv.tmpl
certtool --generate-privkey --key-type=ecdsa --no-text --outfile ca.key 2>/dev/null
certtool --generate-self-signed --no-text --load-privkey ca.key --template ca.tmpl --outfile ca.pem 2>/dev/null
certtool --generate-privkey --key-type=ecdsa --no-text --outfile srv.key 2>/dev/null
certtool --generate-certificate --no-text --load-privkey srv.key --load-ca-certificate ca.pem \
  --load-ca-privkey ca.key --template srv.tmpl --outfile srv.pem 2>/dev/null
pin=$(certtool --pubkey-info --load-privkey srv.key 2>/dev/null | sed -n 's/^[[:space:]]*pin-sha256://p')
[ -n "$pin" ] || { echo "make-test-ca: certtool printed no pin-sha256" >&2; exit 1; }
printf 'sha256//%s\n' "$pin" > pin.txt
