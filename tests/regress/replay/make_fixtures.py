#!/usr/bin/env python3
"""Derives the mutated replay fixtures from the two real captures copied here
(kprobe_small.txt, func_small.txt: ../shared/traces/iommufd-{kprobe,func}_small.trace.txt).
Each mutation is one edit a broken capture or a wrong model could show; its .expect file
(written by hand) pins where and how `lifecheck replay` rejects it. Run from this folder;
the outputs are committed, so the tests do not depend on this script."""
import os

here = os.path.dirname(os.path.abspath(__file__))


def lines(name):
    with open(os.path.join(here, name)) as f:
        return f.read().split('\n')


def write(name, ls):
    with open(os.path.join(here, name), 'w') as f:
        f.write('\n'.join(ls))


k = lines('kprobe_small.txt')
fn = lines('func_small.txt')


def mutate(src, name, edit):
    ls = list(src)
    edit(ls)
    write(name, ls)


def line(ls, no):  # 1-based
    return ls[no - 1]


# An event moved to another task: test 1's dev_bind (line 29) shown as task iommufd-66's.
mutate(k, 'reject_moved_task.txt', lambda ls: ls.__setitem__(28, line(ls, 29).replace('iommufd-64', 'iommufd-66')))
# A destroy dropped: the release no longer shows the IOAS's destroy (line 74).
mutate(k, 'reject_dropped_destroy.txt', lambda ls: ls.pop(73))
# An event duplicated: the lookup's return (line 36) twice.
mutate(k, 'reject_duplicate.txt', lambda ls: ls.insert(36, line(ls, 36)))
# A refcount changed: the IOAS is finalized with users=3 (line 19).
mutate(k, 'reject_refcount.txt', lambda ls: ls.__setitem__(18, line(ls, 19).replace('users=1', 'users=3')))
# A pointer that was never allocated: the finalize names another object (line 19).
mutate(k, 'reject_wild_pointer.txt',
       lambda ls: ls.__setitem__(18, line(ls, 19).replace('obj=0xffff888100d37400', 'obj=0xffff8881deadbe00')))
# The function tracer: the IOAS's destroy dropped from the release (line 58).
mutate(fn, 'reject_func_dropped.txt', lambda ls: ls.pop(57))
# A capture cut in the middle of a probe's location (line 40, after "+0x0/").
mutate(k, 'error_truncated.txt',
       lambda ls: (ls.__delitem__(slice(40, None)), ls.__setitem__(39, ls[39][:ls[39].index('+0x0/') + 5])))
# A garbled line: the timestamp column overwritten (line 30).
mutate(k, 'error_garbled.txt', lambda ls: ls.__setitem__(29, line(ls, 30).replace('7.271087:', '7.27#087:')))
