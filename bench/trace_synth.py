#!/usr/bin/env python3
"""Synthetic ftrace captures for the replay benchmark (bench/replay.py).

Takes a real tracefs text capture whose tasks each run a whole session (open /dev/iommu,
ioctls, release: the iommufd selftests), and writes a capture of TASKS concurrent tasks,
each running the source's sessions one after another until the capture holds EVENTS
events. Every session gets its own kernel addresses (the source's plus a per-task offset
from a pool of 16, so addresses are reused as a slab reuses them), its own timestamps,
and its task's pid and CPU; the tasks' events are merged by timestamp. Each task's events
are a real run, so core-6.12.lc accepts the result as it accepts the source.

With --sequential the tasks run one after another (as the selftest harness forks one
test process after the other), EVENTS / TASKS events each; else all at once.

usage: trace_synth.py SOURCE OUT --events N [--tasks T] [--cpus C] [--sequential]
"""
import argparse
import heapq
import re

LINE = re.compile(r'^\s*(?P<comm>.+?)-(?P<pid>\d+)\s+\[(?P<cpu>\d+)\]\s+(?P<flags>\S+)\s+(?P<ts>\d+\.\d+): (?P<body>.*)$')
POINTER = re.compile(r'=0x(ffff[0-9a-f]{12})\b')


def sessions(path):
    """The source's events, per task, as (relative µs, body) lists; markers dropped."""
    tasks = {}
    for line in open(path, encoding='utf-8', errors='replace'):
        m = LINE.match(line)
        if not m or 'tracing_mark_write' in m['body']:
            continue
        us = int(m['ts'].replace('.', ''))  # 6 decimals: microseconds
        tasks.setdefault((m['comm'], m['pid']), []).append((us, m['body']))
    out = []
    for evs in tasks.values():
        t0 = evs[0][0]
        out.append([(us - t0, body) for us, body in evs])
    return out


def task_events(src, task, cpu, start_us, gap_us):
    """One task's events, forever: the source sessions in turn, addresses per session."""
    us = start_us
    copy = 0
    while True:
        sess = src[(task + copy) % len(src)]
        delta = ((task * 16 + copy % 16) + 1) << 28
        for rel, body in sess:
            b = POINTER.sub(lambda m: '=0x%x' % (int(m.group(1), 16) + delta), body)
            yield us + rel, task, cpu, b
        us += sess[-1][0] + gap_us
        copy += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('source')
    ap.add_argument('out')
    ap.add_argument('--events', type=int, required=True)
    ap.add_argument('--tasks', type=int, default=4)
    ap.add_argument('--cpus', type=int, default=4)
    ap.add_argument('--sequential', action='store_true')
    a = ap.parse_args()
    src = sessions(a.source)
    if a.sequential:
        write_sequential(a, src)
        return
    gens = [task_events(src, t, t % a.cpus, 1_000_000 + 37 * t, 50) for t in range(a.tasks)]
    heap = []
    for t, g in enumerate(gens):
        heapq.heappush(heap, (*next(g), ))
    with open(a.out, 'w') as f:
        f.write('# tracer: nop\n#\n#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n#              | |         |   |||||     |         |\n')
        f.write('            init-1       [000] .....     0.999999: tracing_mark_write: BEGIN capture=synthetic\n')
        for _ in range(a.events):
            us, task, cpu, body = heapq.heappop(heap)
            f.write('%18s-%-6d [%03d] ...1. %6d.%06d: %s\n' % ('iommufd', 1000 + task, cpu, us // 1000000, us % 1000000, body))
            heapq.heappush(heap, next(gens[task]))


HEADER = ('# tracer: nop\n#\n#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n'
          '#              | |         |   |||||     |         |\n'
          '            init-1       [000] .....     0.999999: tracing_mark_write: BEGIN capture=synthetic\n')


def write_sequential(a, src):
    """Task after task; a task stops at the end of the session that reaches its quota."""
    quota = -(-a.events // a.tasks)
    with open(a.out, 'w') as f:
        f.write(HEADER)
        us, n = 1_000_000, 0
        for task in range(a.tasks):
            cpu = task % a.cpus
            copy, mine = 0, 0
            while mine < quota and n < a.events:
                sess = src[(task + copy) % len(src)]
                delta = ((task * 16 + copy % 16) + 1) << 28
                for rel, body in sess:
                    b = POINTER.sub(lambda m: '=0x%x' % (int(m.group(1), 16) + delta), body)
                    t = us + rel
                    f.write('%18s-%-6d [%03d] ...1. %6d.%06d: %s\n' % ('iommufd', 1000 + task, cpu, t // 1000000, t % 1000000, b))
                us += sess[-1][0] + 50
                mine += len(sess)
                n += len(sess)
                copy += 1


if __name__ == '__main__':
    main()
