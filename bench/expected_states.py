#!/usr/bin/env python3
"""Reference state counts for the ok models of bench/gen.py under lifecheck's step rules.

A hand-written explorer (BFS) of refcount_N and teardown_N: every statement,
every if condition and each `atomic {}` is one step; a thread that finishes just
stops (no extra step); the lock holder is part of the state. It also asserts that
no put touches a freed object and that every terminal state satisfies the final property.
lifecheck should report the same states and transitions; the first build of
lifecheck (2026-11-21) matches the states and depth exactly and reports one more
transition (the `init` step). (SPIN's counts are larger; see bench/README.md.)

    python3 bench/expected_states.py                 # refcount 2..8, teardown 2..6
    python3 bench/expected_states.py teardown 7      # one family up to N (slow above ~7)
"""
import sys
from collections import deque
END=99
def refcount(n):
    # pcs 0 lock,1 inc,2 unlock,3 lock,4 dec,5 unlock,END; state=(pcs,users,owner)
    s0=(tuple([0]*n),1,-1)
    def succ(s):
        pcs,u,own=s
        for i,p in enumerate(pcs):
            np=list(pcs)
            if p in (0,3):
                if own!=-1: continue
                np[i]=p+1; yield (tuple(np),u,i)
            elif p==1: np[i]=2; yield (tuple(np),u+1,own)
            elif p==4: np[i]=5; yield (tuple(np),u-1,own)
            elif p==2: np[i]=3; yield (tuple(np),u,-1)
            elif p==5: np[i]=END; yield (tuple(np),u,-1)
    return bfs(s0,succ,lambda s: s[1]==1)
def teardown(n):
    # state=(upcs,dpc,users,wc,freed,removed,got,owner)
    s0=(tuple([0]*n),0,1,1,False,False,tuple([False]*n),-1)
    def succ(s):
        up,dp,u,w,fr,rm,got,own=s
        for i,p in enumerate(up):
            np=list(up); g=list(got)
            def mk(**k):
                d=dict(up=tuple(np),dp=dp,u=u,w=w,fr=fr,rm=rm,got=tuple(g),own=own); d.update(k)
                return (d['up'],d['dp'],d['u'],d['w'],d['fr'],d['rm'],d['got'],d['own'])
            if p==0:
                if own!=-1: continue
                np[i]=1; yield mk(own=i)
            elif p==1:
                np[i]=2
                if not fr and w>0: g[i]=True; yield mk(u=u+1,w=w+1,got=tuple(g))
                else: yield mk()
            elif p==2: np[i]=3; yield mk(own=-1)
            elif p==3: np[i]=4 if got[i] else END; yield mk()
            elif p==4: assert not fr; np[i]=5; yield mk(u=u-1)
            elif p==5: assert not fr; np[i]=END; yield mk(w=w-1)
        D=n
        if dp==0: yield (up,1,u,w-1,fr,rm,got,own)
        elif dp==1:
            if w==0: yield (up,2,u,w,fr,rm,got,own)
        elif dp==2:
            if own==-1: yield (up,3,u,w,fr,rm,got,D)
        elif dp==3: yield (up,4 if u==1 else 6,u,w,fr,rm,got,own)
        elif dp==4: yield (up,5,u,w,fr,True,got,own)
        elif dp==5: yield (up,6,u,w,True,rm,got,own)
        elif dp==6: yield (up,END,u,w,fr,rm,got,-1)
    return bfs(s0,succ,lambda s: s[5] and s[4] and s[2]==1 and s[3]==0)
def bfs(s0,succ,final):
    seen={s0:0}; q=deque([s0]); tr=0; maxd=0; finals=0
    while q:
        s=q.popleft(); k=list(succ(s)); tr+=len(k)
        if not k:
            finals+=1; assert final(s), s
        for t in k:
            if t not in seen: seen[t]=seen[s]+1; maxd=max(maxd,seen[t]); q.append(t)
    return len(seen),tr,maxd,finals
def main():
    todo = [("refcount", 8), ("teardown", 6)]
    if len(sys.argv) > 1:
        todo = [(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 6)]
    for f, hi in todo:
        for n in range(2, hi + 1):
            st, tr, d, fin = {"refcount": refcount, "teardown": teardown}[f](n)
            print(f"{f} N={n}: states={st} transitions={tr} bfs-depth={d} terminal={fin}")

if __name__ == "__main__":
    main()
