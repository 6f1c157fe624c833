#!/usr/bin/python3
"""measure.py: run commands side by side and report medians.

    measure.py RUNS NAME=CMD [NAME=CMD ...]   (CMD is run by /bin/sh -c)

Each round runs every command once, in turn, so both see the same machine.
Wall time comes from the monotonic clock around the child, peak RSS from
wait4(2) of that child alone. Prints one line per command:
    NAME median_wall_s median_maxrss_kb failures
"""
import os
import statistics
import sys
import time


def run(cmd):
    t0 = time.monotonic()
    pid = os.posix_spawn("/bin/sh", ["sh", "-c", cmd], os.environ)
    _, status, ru = os.wait4(pid, 0)
    return time.monotonic() - t0, ru.ru_maxrss, os.waitstatus_to_exitcode(status)


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
