#!/bin/sh
# Runs a GUI test in a private Xvfb display sized for 1024x600 content (the smallest screen the
# app supports).
# usage: run-gui-test.sh TEST_BINARY ARGS...
if ! command -v xvfb-run >/dev/null 2>&1 || ! command -v xauth >/dev/null 2>&1; then
  echo "SKIP: the GUI tests need an X display server: apt-get install xvfb xauth"
  exit 77
fi
# The screen is 1024x600 plus the 5-pixel frame GTK keeps around an unmaximized window (there is
# no window manager to maximize it): the app content is exactly 1024x600, as on a netbook.
exec xvfb-run -a -s "-screen 0 1034x610x24 -nolisten tcp" "$@"
