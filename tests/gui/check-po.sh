#!/bin/sh
# Fails unless every catalogue in PO_DIR is complete: msgfmt --statistics must report neither
# untranslated nor fuzzy messages. usage: check-po.sh MSGFMT PO_DIR
msgfmt=$1; dir=$2; rc=0
for po in "$dir"/*.po; do
  stats=$(LC_ALL=C "$msgfmt" --check --statistics -o /dev/null "$po" 2>&1) || { echo "$po: $stats"; rc=1; continue; }
  echo "$(basename "$po"): $stats"
  case "$stats" in
    *untranslated*|*fuzzy*) echo "FAIL: $po is incomplete"; rc=1 ;;
  esac
done
exit $rc
