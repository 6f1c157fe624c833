#!/usr/bin/python3
"""measure.py: run commands side by side and report medians.

    measure.py RUNS NAME=CMD [NAME=CMD ...]   (CMD is run by /bin/sh -c)

Each round runs every command once, in turn, so both see the same machine.
Wall time comes from the monotonic clock around the child. Peak RSS comes
from GNU time (wait4(2) in a small parent): a child forked from this Python
process would report Python's own 10 MB as its peak. Prints one line per
command:
    NAME median_wall_s median_maxrss_kb failures
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time


def run(cmd):
    with tempfile.NamedTemporaryFile("r") as out:
        t0 = time.monotonic()
        code = subprocess.call(["/usr/bin/time", "-q", "-f", "%M", "-o",
                                out.name, "/bin/sh", "-c", cmd])
        wall = time.monotonic() - t0
        rss = int(out.read().split()[-1])
    return wall, rss, code


def main():
    runs = int(sys.argv[1])
    cmds = [a.split("=", 1) for a in sys.argv[2:]]
    res = {name: ([], [], 0) for name, _ in cmds}
    for _ in range(runs):
        for name, cmd in cmds:
            wall, rss, code = run(cmd)
            w, r, f = res[name]
            w.append(wall)
            r.append(rss)
            res[name] = (w, r, f + (code != 0))
    for name, _ in cmds:
        w, r, f = res[name]
        print("%s %.4f %d %d" % (name, statistics.median(w),
                                 statistics.median(r), f))


main()
