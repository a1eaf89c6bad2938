#!/usr/bin/env python3
# Builds the k-induction scaffold of final.lc: final.lc with statement labels (labels.txt)
# and named lookup results, plus the auxiliary invariants of aux.inv (macros expanded:
# '%def NAME(a, b) body' on one line). Usage: build.py OUT.lc (see README.md).
import re,sys
import os
here=os.path.dirname(os.path.abspath(__file__))
out=sys.argv[1] if len(sys.argv)>1 else 'final-aux.lc'
s=open(os.path.join(here,'..','final.lc')).read()
# renames: name the lookup results (same steps: call, return into the local, then the 'as')
ren=[("  v = iommufd_get_object(d->vdev->id, T_VDEVICE) as vdev; // iommufd_get_vdevice, xa_lock in G",
      "  any* got = iommufd_get_object(d->vdev->id, T_VDEVICE);  // iommufd_get_vdevice, xa_lock in G\n  v = got as vdev;"),
     ("  viommu* vi = iommufd_get_object(VIOMMU_ID, T_VIOMMU) as viommu;   // 2 iommufd_get_viommu",
      "  any* gvi = iommufd_get_object(VIOMMU_ID, T_VIOMMU);              // 2 iommufd_get_viommu\n  viommu* vi = gvi as viommu;"),
     ("  idev* d = iommufd_get_object(IDEV_ID, T_DEVICE) as idev;          // 3 iommufd_get_device",
      "  any* gd = iommufd_get_object(IDEV_ID, T_DEVICE);                  // 3 iommufd_get_device\n  idev* d = gd as idev;")]
ren+=[("  if (last) { free(g); }", "  if (last) {\n  pg_free:\n    free(g);\n  }"),
("""    if (obj != to_destroy) {                              // WARN_ON(obj != to_destroy)
      atomic {""", """    if (obj != to_destroy) {                              // WARN_ON(obj != to_destroy)
    rm_err1: {
      atomic {"""),
("""      unlock(xa_lock);
      return -ENOENT;
    }
  } else if (obj == null) {                               // NULL or XA_ZERO_ENTRY
    unlock(xa_lock);
    return -ENOENT;
  }""", """      unlock(xa_lock);
      return -ENOENT;
    }
    }
  } else if (obj == null) {                               // NULL or XA_ZERO_ENTRY
  rm_enoent: {
    unlock(xa_lock);
    return -ENOENT;
  }
  }"""),
("""  if (!one) {                                             // -EBUSY
    atomic {""", """  if (!one) {                                             // -EBUSY
  rm_ebusy: {
    atomic {"""),
("""    unlock(xa_lock);
    return -EBUSY;
  }""", """    unlock(xa_lock);
    return -EBUSY;
  }
  }"""),
("""  if (obj != v) {                                         // WARN_ON(obj != to_destroy)
    v->wait_cnt = 1;""", """  if (obj != v) {                                         // WARN_ON(obj != to_destroy)
  tb_err1:
    v->wait_cnt = 1;"""),
("""  if (!one) {
    v->wait_cnt = 1;""", """  if (!one) {
  tb_err2:
    v->wait_cnt = 1;"""),
("""  choose {                                                          // 10 xa_cmpxchg(&viommu->vdevs)
    atomic {""", """  choose {                                                          // 10 xa_cmpxchg(&viommu->vdevs)
  al_b1:
    atomic {"""),
("    rc = -EEXIST;                                                   // clash", "  al_b2:\n    rc = -EEXIST;                                                   // clash"),
("""  if (ret != 0) {
    atomic { d->unbind_failed = true; d->unbound = true; }""", """  if (ret != 0) {
  ub_fail:
    atomic { d->unbind_failed = true; d->unbound = true; }"""),
]
ren+=[("  if (d->destroying) { rc = -ENOENT; }", "  if (d->destroying) { al_enoent: rc = -ENOENT; }")]
ren+=[('''        if (one) {
          destroyed = destroyed + 1;
          if (o is vdev) { iommufd_vdevice_destroy(o as vdev); }
          else if (o is viommu) { iommufd_viommu_destroy(o as viommu); }
          else { iommufd_device_destroy(o as idev); }
          free(o);                                        // kfree(obj)
        }''', '''        if (one) {
        fr_body: {
          destroyed = destroyed + 1;
          if (o is vdev) { iommufd_vdevice_destroy(o as vdev); }
          else if (o is viommu) { iommufd_viommu_destroy(o as viommu); }
          else { iommufd_device_destroy(o as idev); }
          free(o);                                        // kfree(obj)
        }
        }''')]
for a,b in ren:
    assert s.count(a)==1,a; s=s.replace(a,b)
lines=s.split('\n')
def fn_range(name):
    for i,l in enumerate(lines):
        if re.match(r'(fn|thread) '+re.escape(name)+r'\b',l):
            j=i
            while lines[j]!='}': j+=1
            return i,j
    raise Exception(name)
ins=[]  # (line index, label)
def lab(fn,frag,label,nth=0):
    i,j=fn_range(fn)
    hits=[k for k in range(i+1,j) if lines[k].startswith(frag)]
    assert len(hits)>nth,(fn,frag,hits)
    ins.append((hits[nth],label))
L=lab
for spec in open(os.path.join(here,'labels.txt')):
    spec=spec.rstrip('\n')
    if not spec.strip() or spec.startswith('#'): continue
    parts=spec.split('|')
    fn,frag,label=parts[0].strip(),parts[1],parts[2].strip()
    nth=int(parts[3]) if len(parts)>3 else 0
    lab(fn,frag,label,nth)
for k,label in sorted(ins,reverse=True):
    ind=len(lines[k])-len(lines[k].lstrip())
    lines.insert(k,' '*max(0,ind-2)+label+':')
s='\n'.join(lines)
# macros in aux.lc: '%def NAME(a, b) body' (one line); NAME(x, y) expands, innermost first
defs={}
body=[]
for line in open(os.path.join(here,'aux.inv')):
    m=re.match(r'%def (\w+)\(([^)]*)\)\s+(.*)$',line.rstrip('\n'))
    if m:
        defs[m.group(1)]=([a.strip() for a in m.group(2).split(',') if a.strip()], m.group(3))
    else:
        body.append(line)
text=''.join(body)
def expand(t):
    changed=True
    while changed:
        changed=False
        for name,(params,b) in defs.items():
            i=0
            while True:
                m=re.compile(r'\b'+name+r'\(').search(t,i)
                if not m: break
                # balanced args
                j=m.end(); depth=1; args=[]; cur=''
                while depth:
                    ch=t[j]
                    if ch=='(':
                        depth+=1; cur+=ch
                    elif ch==')':
                        depth-=1
                        if depth: cur+=ch
                    elif ch==',' and depth==1:
                        args.append(cur.strip()); cur=''
                    else: cur+=ch
                    j+=1
                if cur.strip() or params: args.append(cur.strip())
                assert len(args)==len(params),(name,args)
                rep=b
                for pn,av in zip(params,args): rep=re.sub(r'(?<![.\w])'+pn+r'\b',av,rep)
                t=t[:m.start()]+'('+rep+')'+t[j:]
                changed=True
                i=m.start()
    return t
s+="\n// ---- auxiliary invariants for k-induction\n"+expand(text)
open(out,'w').write(s)
