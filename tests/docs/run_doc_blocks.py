#!/usr/bin/env python3
"""The docs test: runs every ```sh block of README.md, server-stub/README.md and app-gtk/README.md
on the build tree, so a doc that drifts from the programs fails.

Usage: run_doc_blocks.py BUILD_DIR SOURCE_DIR

Each document runs in its own scratch directory that stands for the repository root (`proto` and
`build` are links to the real ones), with its own HOME, one command after the other; `export`s
carry over. A command runs as written except for the few things in the tables below:
  - placeholders take the real value an earlier command of the same document printed (CAPTURED);
  - `serve` listens on an ephemeral loopback port with HTTPS (a CA and certificate made here by
    tests/support/make-test-ca.sh: ca.pem, server.pem, server.key) and runs in the background
    until the document ends; the doc's server URL becomes that address (LISTEN, SERVER_URL);
  - `cmake` and `bash scripts/...` run in the source tree, with `build` meaning BUILD_DIR;
  - the field app runs under Xvfb for a few seconds: it passes if it is still up (waiting for
    the officer) then.
A command whose program is not in RUNNERS fails the test: the docs may only show what is run here.
The clear/sealed split of `form publish` must be the same in the docs and in scripts/demo.sh.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

DOCS = ["README.md", "server-stub/README.md", "app-gtk/README.md"]

# Placeholder in the docs -> (the command that prints its value, the regular expression over its stdout).
CAPTURED = {
    "K7QM-2XDP-9RTA": (r"^syncserver enroll create ", r"^code: (\S+)$"),
    "SERVER_KEY_PIN": (r"^certtool --pubkey-info ", r"pin-sha256:(\S+)"),
    "DEVICE_ID": (r"^syncctl .* enroll ", r"^enrolled device (\S+) "),
    "UUID": (r"^syncctl .* record add ", r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"),
}
# Fixed rewrites: the address a documented server listens on, and the URL devices use for it.
LISTEN = ("--listen 0.0.0.0:8443", "--listen 127.0.0.1:0")
SERVER_URL = "https://pusat.example.id:8443"
# The programs a documented command may start with (`bash scripts/X` and `syncserver serve` apart).
RUNNERS = {"export", "syncctl", "syncserver", "syncserver serve", "certtool", "cmake", "bash scripts/demo.sh",
           "build/app-gtk/libsync-app"}
# Lines that are not run here, and what runs them instead (the test checks that it does).
COVERED = {"bash scripts/test.sh": ".ci/run"}
# What `syncserver user add` reads on stdin (every command gets it).
STDIN_TEXT = "kata-sandi-dasbor-uji\n"
GUI_SECONDS = 5
COMMAND_TIMEOUT = 180


def fail(msg):
    print(f"docs test FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


def blocks(path):
    """The commands of every ```sh block of one document: (line number, command), continuations joined."""
    out, fence, cmd, start = [], None, "", 0
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for n, line in enumerate(lines, 1):
        if line.startswith("```"):
            if fence is None:
                fence = line[3:].strip()
                if fence in ("bash", "shell", "console", ""):
                    fail(f"{path}:{n}: a shell block must be marked ```sh (it is run by this test)")
            else:
                fence = None
            continue
        if fence is None:
            if re.match(r"^    +(syncctl|syncserver|cmake|bash|export) ", line):
                fail(f"{path}:{n}: an indented command block; use a ```sh block (it is run by this test)")
            continue
        if fence != "sh":
            continue
        if not cmd:
            start = n
        if line.endswith("\\"):
            cmd += line[:-1] + " "
            continue
        cmd += line
        if cmd.strip() and not cmd.strip().startswith("#"):
            out.append((start, cmd.strip()))
        cmd = ""
    return out


def program(cmd):
    """The command's program, past any VAR=value prefixes ('export' for an export)."""
    words = shlex.split(cmd, comments=True)
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        words = words[1:]
    if not words:
        return ""
    if words[0] == "bash" and len(words) > 1:
        return "bash " + words[1]
    if words[0] == "syncserver" and len(words) > 1 and words[1] == "serve":
        return "syncserver serve"
    return words[0]


class Doc:
    def __init__(self, name, build, source, work):
        self.name, self.build, self.source, self.work = name, build, source, work
        self.values, self.server, self.url = {}, None, None
        home = os.path.join(work, "home")
        os.makedirs(home)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNC_", "LIBSYNC_"))}
        self.env.update(HOME=home, XDG_CONFIG_HOME=f"{home}/.config", XDG_DATA_HOME=f"{home}/.local/share",
                        XDG_CACHE_HOME=f"{home}/.cache", XDG_RUNTIME_DIR=home)
        os.symlink(os.path.join(source, "proto"), os.path.join(work, "proto"))
        os.symlink(build, os.path.join(work, "build"))
        tls = os.path.join(work, "tls")
        os.makedirs(tls)
        subprocess.run(["sh", os.path.join(source, "tests/support/make-test-ca.sh"), tls], check=True)
        shutil.copy(f"{tls}/ca.pem", f"{work}/ca.pem")
        shutil.copy(f"{tls}/srv.pem", f"{work}/server.pem")
        shutil.copy(f"{tls}/srv.key", f"{work}/server.key")
        self.stdin = os.path.join(tls, "stdin.txt")
        with open(self.stdin, "w") as f:
            f.write(STDIN_TEXT)

    def substitute(self, where, cmd):
        """The command with its placeholders replaced (its trailing comment is left as it is)."""
        m = re.search(r"\s#\s", cmd)
        code, comment = (cmd[:m.start()], cmd[m.start():]) if m else (cmd, "")
        for ph in CAPTURED:
            if re.search(rf"\b{re.escape(ph)}\b", code):
                if ph not in self.values:
                    fail(f"{where}: {ph} is used before any command printed it")
                code = re.sub(rf"\b{re.escape(ph)}\b", self.values[ph], code)
        if SERVER_URL in code:
            if not self.url:
                fail(f"{where}: {SERVER_URL} is used before the document started a server")
            code = code.replace(SERVER_URL, self.url)
        return code + comment

    def run(self, where, cmd, prog):
        cmd = self.substitute(where, cmd)
        cwd = self.work
        if prog == "cmake" or prog.startswith("bash scripts/"):
            cwd = self.source
            cmd = re.sub(r"(-B|--build|--install) build\b", rf"\1 {shlex.quote(self.build)}", cmd)
        env_out = os.path.join(self.work, ".env")
        script = f"{cmd}\n__rc=$?; env -0 > {shlex.quote(env_out)}; exit $__rc\n"
        env = dict(self.env)
        if prog == "bash scripts/demo.sh":
            env["SYNC_BUILD_DIR"] = self.build
        print(f"\n$ {cmd}    [{where}]", flush=True)
        t0 = time.monotonic()
        with open(self.stdin) as stdin:
            p = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, stdin=stdin, capture_output=True,
                               text=True, timeout=COMMAND_TIMEOUT)
        lines = p.stdout.splitlines()
        shown = lines if len(lines) <= 20 else lines[:10] + [f"... ({len(lines) - 20} lines)"] + lines[-10:]
        print("\n".join(shown) + ("\n" if shown else "") + p.stderr, end="", flush=True)
        print(f"  -> exit {p.returncode} in {time.monotonic() - t0:.1f} s", flush=True)
        if p.returncode != 0:
            fail(f"{where}: `{cmd}` exited {p.returncode}")
        with open(env_out) as f:
            self.env = dict(kv.split("=", 1) for kv in f.read().split("\0") if "=" in kv)
        for ph, (source_cmd, rx) in CAPTURED.items():
            m = re.search(rx, p.stdout, re.M) if re.search(source_cmd, cmd) else None
            if m:
                self.values[ph] = m.group(1)

    def serve(self, where, cmd):
        if LISTEN[0] not in cmd or "--tls-cert" not in cmd:
            fail(f"{where}: a documented server listens with `{LISTEN[0]}` and --tls-cert/--tls-key (HTTPS)")
        cmd = self.substitute(where, cmd).replace(*LISTEN)
        print(f"\n$ {cmd} &    [{where}]", flush=True)
        out = os.path.join(self.work, "server.out")
        with open(out, "w") as o, open(os.path.join(self.work, "server.log"), "w") as e:
            self.server = subprocess.Popen(["bash", "-c", "exec " + cmd], cwd=self.work, env=self.env,
                                           stdout=o, stderr=e, stdin=subprocess.DEVNULL)
        for _ in range(200):
            m = re.search(r"LISTENING (\S+)", open(out).read())
            if m:
                self.url = "https://" + m.group(1)
                print(f"  -> listening on {self.url}", flush=True)
                return
            if self.server.poll() is not None:
                break
            time.sleep(0.05)
        fail(f"{where}: the server did not start: {open(os.path.join(self.work, 'server.log')).read()}")

    def gui(self, where, cmd):
        if not shutil.which("xvfb-run"):
            fail(f"{where}: xvfb-run is needed to start the app (scripts/setup-deps.sh all)")
        words = shlex.split(cmd, comments=True)
        print(f"\n$ {cmd}    [{where}: under Xvfb for {GUI_SECONDS} s]", flush=True)
        n = 0
        while re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[n]):
            n += 1
        p = subprocess.run(["xvfb-run", "-a", "env"] + words[:n] + ["timeout", str(GUI_SECONDS)] + words[n:],
                           cwd=self.work, env=self.env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
        if p.returncode != 124:
            fail(f"{where}: the app did not stay up (exit {p.returncode}): {p.stdout}{p.stderr}")
        print("  -> started and waiting for the officer", flush=True)

    def stop(self):
        if self.server and self.server.poll() is None:
            self.server.terminate()
            self.server.wait(timeout=30)


def check_split(source):
    """The clear/sealed split and dedup fields of `form publish`: one list in the docs and the demo."""
    seen = {}
    for f in ["README.md", "server-stub/README.md", "scripts/demo.sh"]:
        text = open(os.path.join(source, f), encoding="utf-8").read()
        for opt in ("--clear-fields", "--dedup-fields"):
            for v in re.findall(rf"{opt} ([a-z_][a-z0-9_,]*)(?=[\s\\]|$)", text, re.M):
                seen.setdefault(opt, {}).setdefault(v, []).append(f)
    for opt, values in seen.items():
        if len(values) != 1:
            fail(f"{opt} differs: " + "; ".join(f"{v} in {', '.join(fs)}" for v, fs in values.items()))
    if "--clear-fields" not in seen:
        fail("no `form publish --clear-fields` in the docs")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    build, source = (os.path.abspath(a) for a in sys.argv[1:])
    check_split(source)
    t0 = time.monotonic()
    for name in DOCS:
        cmds = blocks(os.path.join(source, name))
        if not cmds:
            fail(f"{name}: no ```sh block")
        with tempfile.TemporaryDirectory(prefix="docs-test-") as work:
            doc = Doc(name, build, source, work)
            try:
                for line, cmd in cmds:
                    where, prog = f"{name}:{line}", program(cmd)
                    if prog in COVERED:
                        ci = open(os.path.join(source, COVERED[prog]), encoding="utf-8").read()
                        if prog not in ci:
                            fail(f"{where}: `{prog}` is said to run in {COVERED[prog]}, which does not run it")
                        print(f"\n$ {cmd}    [{where}: run by {COVERED[prog]}]")
                    elif prog not in RUNNERS:
                        fail(f"{where}: the docs test cannot run `{cmd}` ({prog!r} is not in RUNNERS)")
                    elif prog == "syncserver serve":
                        doc.serve(where, cmd)
                    elif prog == "build/app-gtk/libsync-app":
                        doc.gui(where, cmd)
                    else:
                        doc.run(where, cmd, prog)
            finally:
                doc.stop()
        print(f"\n== {name}: {len(cmds)} commands passed ==", flush=True)
    print(f"docs test passed in {time.monotonic() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
