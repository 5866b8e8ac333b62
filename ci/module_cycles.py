#!/usr/bin/env python3
# Lists import cycles between a crate's modules (file-level, from `crate::` and `super::`
# paths outside #[cfg(test)]): `python3 ci/module_cycles.py reference-server/src`. A quick
# textual check, not a compiler: it reads paths, not resolved names.
import os,re,sys
root=sys.argv[1]
mods={}
for d,_,fs in os.walk(root):
    for f in fs:
        if not f.endswith('.rs'): continue
        p=os.path.join(d,f); rel=os.path.relpath(p,root)[:-3]
        parts=rel.split('/')
        if parts[-1] in ('mod','lib','main'): parts=parts[:-1]
        mods['::'.join(parts)]=open(p).read()
def resolve(cur, path):
    # longest known module prefix
    segs=path.split('::')
    for i in range(len(segs),0,-1):
        c='::'.join(segs[:i])
        if c in mods: return c
    return None
edges={m:set() for m in mods}
for m,src in mods.items():
    src=re.sub(r'#\[cfg\(test\)\][\s\S]*$','',src)
    cur=m.split('::') if m else []
    for mm in re.finditer(r'crate::((?:\w+::)*\w+)',src):
        t=resolve(m,mm.group(1))
        if t and t!=m and not m.startswith(t+'::') and not t.startswith(m+'::') if m else False: edges[m].add(t)
    for mm in re.finditer(r'(?<![\w:])super::((?:\w+::)*\w+)',src):
        base=cur[:-1]
        t=resolve(m,'::'.join(base+[mm.group(1)]) if base else mm.group(1))
        if t and t!=m and not m.startswith(t+'::') and not t.startswith(m+'::'): edges[m].add(t)
    # `use super::{a, b}` groups
    for g in re.finditer(r'use super::\{([^}]*)\}',src):
        base=cur[:-1]
        for name in re.findall(r'\b(\w+)\b',g.group(1)):
            t=resolve(m,'::'.join(base+[name]) if base else name)
            if t and t!=m and not m.startswith(t+'::') and not t.startswith(m+'::'): edges[m].add(t)
# Tarjan
idx={};low={};st=[];on=set();out=[];c=[0]
def sc(v):
    idx[v]=low[v]=c[0];c[0]+=1;st.append(v);on.add(v)
    for w in edges[v]:
        if w not in idx: sc(w);low[v]=min(low[v],low[w])
        elif w in on: low[v]=min(low[v],idx[w])
    if low[v]==idx[v]:
        comp=[]
        while True:
            w=st.pop();on.discard(w);comp.append(w)
            if w==v:break
        if len(comp)>1: out.append(sorted(comp))
sys.setrecursionlimit(10000)
for v in edges:
    if v not in idx: sc(v)
print(len(mods),'modules;', 'cycles:' if out else 'no cycles', out)
