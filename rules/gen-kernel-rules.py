#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Writes lockdepd's default rules: the lockdep annotations of a kernel's
source that a production kernel compiles away.

    rules/gen-kernel-rules.py /usr/src/linux-source-6.1.tar.xz > rules/kernel.yaml
    rules/gen-kernel-rules.py path/to/linux > rules/kernel.yaml

The source is a kernel tree or its tarball (Debian's linux-source-* package).
What it finds:

- novalidate: lockdep_set_novalidate_class(&x->lock) beside the init of
  the same lock in one function. lockdep never validates such a lock; the
  rule names the init's class name and the function that inits it.
- nested: the _nested() and _nest_lock() lock calls, directly or through
  a static inline wrapper (inode_lock_nested() and the like). Without
  CONFIG_DEBUG_LOCK_ALLOC they are plain calls, so the subclass survives
  only as the function that makes the call. A rule says: a lock whose
  class ends in member `lock`, taken as `type` by function `caller`, is
  lockdep subclass N. Where one caller takes such locks with several
  subclasses (or with one computed at run time, or through a nest_lock),
  the rule says `subclass: any`: the caller nests them on purpose, which
  lockdep checks and lockdepd cannot, so it lets them nest.

- run-time class keys, listed, not generated: lockdep_set_class() (and
  _and_name, _and_subclass) on a mutex or rwsem that the same function
  inits, with a key reached through a pointer (&sb->s_type->i_mutex_key).
  A rule for one needs the path from a function argument to the lock and
  to the key, which the source does not say in a form a script can trust;
  rules/kernel-hand.yaml has the ones written by hand. Keys that are
  static variables are counted: such a lock keeps its init's class.

A caller whose lock argument names no member (a bare pointer) is left out:
it names no class. Inlining is not seen: a
static function the compiler folds into its caller has no symbol of its
own, so its rule never matches and costs nothing.
"""
import os
import re
import sys
import tarfile
from collections import defaultdict

NESTED_CALLS = {
    "mutex_lock_nested": "mutex",
    "mutex_lock_interruptible_nested": "mutex",
    "mutex_lock_killable_nested": "mutex",
    "mutex_lock_io_nested": "mutex",
    "down_read_nested": "rwsem_read",
    "down_read_killable_nested": "rwsem_read",
    "down_write_nested": "rwsem_write",
    "down_write_killable_nested": "rwsem_write",
}
NEST_LOCK_CALLS = {
    "mutex_lock_nest_lock": "mutex",
    "mutex_lock_killable_nest_lock": "mutex",
    "down_write_nest_lock": "rwsem_write",
}
PLAIN_CALLS = {
    "mutex_lock": "mutex",
    "mutex_lock_interruptible": "mutex",
    "mutex_lock_killable": "mutex",
    "mutex_lock_io": "mutex",
    "down_read": "rwsem_read",
    "down_read_interruptible": "rwsem_read",
    "down_read_killable": "rwsem_read",
    "down_write": "rwsem_write",
    "down_write_killable": "rwsem_write",
}
INIT_CALLS = ("mutex_init", "__mutex_init", "init_rwsem", "__init_rwsem")
SET_CLASS_CALLS = ("lockdep_set_class", "lockdep_set_class_and_name", "lockdep_set_class_and_subclass")
# lockdep.h's one subclass macro; the rest are enums, read from the source.
KNOWN_CONSTANTS = {"SINGLE_DEPTH_NESTING": 1}

IDENT = re.compile(r"[A-Za-z_]\w*")


def strip_code(text):
    """Comments, string and character literals and preprocessor lines out."""
    text = re.sub(r"\\\n", " ", text)
    out = []
    i, n = 0, len(text)
    pattern = re.compile(r'/\*|//|"|\'')
    while i < n:
        m = pattern.search(text, i)
        if not m:
            out.append(text[i:])
            break
        out.append(text[i : m.start()])
        tok = m.group()
        if tok == "/*":
            end = text.find("*/", m.end())
            i = n if end < 0 else end + 2
            out.append(" ")
        elif tok == "//":
            end = text.find("\n", m.end())
            i = n if end < 0 else end
        else:
            j = m.end()
            while j < n and text[j] != tok:
                j += 2 if text[j] == "\\" else 1
            out.append(tok + tok)
            i = j + 1
    lines = [l for l in "".join(out).split("\n") if not l.lstrip().startswith("#")]
    return "\n".join(lines)


def matching(text, open_pos, open_ch="(", close_ch=")"):
    depth = 0
    for j in range(open_pos, len(text)):
        c = text[j]
        if c == open_ch:
            depth += 1
        elif c == close_ch:
            depth -= 1
            if depth == 0:
                return j
    return -1


def split_args(args):
    parts, depth, cur = [], 0, []
    for c in args:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
    parts.append("".join(cur).strip())
    return parts


SYSCALL_DEFINE = re.compile(r"SYSCALL_DEFINE\d$")
FUNC_HEADER = re.compile(r"(\w+)\s*\(([^;{}]*)\)\s*(?:__\w+(?:\([^()]*\))?\s*)*$", re.S)


def functions(code):
    """(name, params, body, is_static_inline) of every function definition."""
    depth, start, last_end = 0, 0, 0
    for m in re.finditer(r"[{};]", code):
        c = m.group()
        if depth == 0 and c == ";":
            last_end = m.end()
        elif c == "{":
            if depth == 0:
                start = m.start()
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                depth = 0
            if depth == 0:
                header = code[last_end:start]
                last_end = m.end()
                hm = FUNC_HEADER.search(header)
                if hm and hm.group(1) not in ("if", "for", "while", "switch", "sizeof"):
                    pre = header[: hm.start()]
                    if "=" in pre:
                        continue
                    name, params = hm.group(1), hm.group(2)
                    if SYSCALL_DEFINE.match(name):
                        # The body of SYSCALL_DEFINEn(name, ...) is inlined into __x64_sys_name.
                        first = split_args(params)[0]
                        name = "__x64_sys_" + first if IDENT.fullmatch(first) else name
                        params = ",".join(split_args(params)[1:])
                    yield (name, params, code[start : m.end()],
                           "inline" in pre and "static" in pre)


def calls(body, names):
    """(callee, [args]) for each call of a name in names."""
    for m in re.finditer(r"\b(\w+)\s*\(", body):
        if m.group(1) not in names:
            continue
        close = matching(body, m.end() - 1)
        if close < 0:
            continue
        yield m.group(1), split_args(body[m.end() : close])


def last_member(expr):
    """The member (or static symbol) a lock expression ends in, or None for a bare pointer."""
    expr = expr.strip()
    while expr.startswith("(") and matching(expr, 0) == len(expr) - 1:
        expr = expr[1:-1].strip()
    if not expr.startswith("&") and "->" not in expr and "." not in expr:
        return None
    names = IDENT.findall(re.sub(r"\[[^\]]*\]", "", expr))
    return names[-1] if names else None


def param_names(params):
    names = []
    for p in split_args(params):
        ids = IDENT.findall(p)
        names.append(ids[-1] if ids else "")
    return names


class Source:
    def __init__(self, path):
        self.path = path
        self.tar = None
        if os.path.isfile(path):
            self.tar = tarfile.open(path)

    def files(self):
        if self.tar:
            for member in self.tar:
                if member.isfile() and member.name.endswith((".c", ".h")):
                    name = member.name.split("/", 1)[1] if "/" in member.name else member.name
                    if skip(name):
                        continue
                    yield name, self.tar.extractfile(member).read().decode("utf-8", "replace")
        else:
            for root, _, names in os.walk(self.path):
                for n in names:
                    if n.endswith((".c", ".h")):
                        full = os.path.join(root, n)
                        rel = os.path.relpath(full, self.path)
                        if skip(rel):
                            continue
                        with open(full, encoding="utf-8", errors="replace") as f:
                            yield rel, f.read()


def skip(rel):
    parts = rel.split("/")
    if parts[0] in ("Documentation", "tools", "samples", "scripts", "usr"):
        return True
    if parts[0] == "arch" and len(parts) > 1 and parts[1] != "x86":
        return True
    return rel == "lib/locking-selftest.c"


def enum_constants(code, into):
    for m in re.finditer(r"\benum\b\s*\w*\s*\{", code):
        close = matching(code, m.end() - 1, "{", "}")
        if close < 0:
            continue
        value = 0
        for item in split_args(code[m.end() : close]):
            if not item:
                continue
            name, _, expr = item.partition("=")
            name = name.strip()
            if not IDENT.fullmatch(name):
                break
            if expr.strip():
                try:
                    value = int(expr.strip().rstrip("uUlL"), 0)
                except ValueError:
                    break
            into.setdefault(name, value)
            value += 1


def subclass_value(expr, constants, params):
    expr = expr.strip()
    try:
        return int(expr, 0)
    except ValueError:
        pass
    if expr in constants:
        return constants[expr]
    return None  # computed at run time


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen-kernel-rules.py LINUX-SOURCE-TREE-OR-TARBALL")
    src = Source(sys.argv[1])
    constants = dict(KNOWN_CONSTANTS)
    units = []  # (path, stripped code)
    for rel, text in src.files():
        if rel == "Makefile":
            continue
        code = strip_code(text)
        enum_constants(code, constants)
        units.append((rel, code))
    kernel = kernel_version(sys.argv[1])

    # Static inline wrappers (inode_lock_nested() and friends), one level.
    nested_wrappers, plain_wrappers = {}, {}
    for rel, code in units:
        if not rel.endswith(".h"):
            continue
        for name, params, body, is_inline in functions(code):
            if not is_inline:
                continue
            pnames = param_names(params)
            for callee, args in calls(body, set(NESTED_CALLS) | set(PLAIN_CALLS)):
                member = last_member(args[0])
                if callee in NESTED_CALLS and len(args) == 2 and args[1] in pnames:
                    nested_wrappers[name] = (NESTED_CALLS[callee], member, pnames.index(args[1]))
                elif callee in PLAIN_CALLS and member:
                    plain_wrappers[name] = (PLAIN_CALLS[callee], member)

    novalidate = []
    runtime_keys, static_keys = [], 0  # (function, lock, key, file)
    # (caller, member, type) -> {subclass or None}, and where seen
    nested = defaultdict(set)
    where = {}
    plain = defaultdict(set)  # (caller, type) -> members taken plainly
    callers_by_type = defaultdict(lambda: defaultdict(int))
    lookup = set(NESTED_CALLS) | set(NEST_LOCK_CALLS) | set(PLAIN_CALLS) | set(nested_wrappers) | set(plain_wrappers)
    for rel, code in units:
        for fname, params, body, is_inline in functions(code):
            if is_inline and rel.endswith(".h"):
                continue  # wrappers: their callers are the callers
            pnames = param_names(params)
            for callee, args in calls(body, lookup):
                if callee in NESTED_CALLS and len(args) == 2:
                    key = (fname, last_member(args[0]), NESTED_CALLS[callee])
                    nested[key].add(subclass_value(args[1], constants, pnames))
                elif callee in NEST_LOCK_CALLS:
                    key = (fname, last_member(args[0]), NEST_LOCK_CALLS[callee])
                    nested[key].add(None)
                elif callee in nested_wrappers:
                    ltype, member, sub_index = nested_wrappers[callee]
                    if sub_index >= len(args):
                        continue
                    key = (fname, member, ltype)
                    nested[key].add(subclass_value(args[sub_index], constants, pnames))
                elif callee in PLAIN_CALLS:
                    member = last_member(args[0]) if args else None
                    key = None
                    plain[(fname, PLAIN_CALLS[callee])].add(member)
                    callers_by_type[(fname, PLAIN_CALLS[callee])][member] += 1
                    continue
                elif callee in plain_wrappers:
                    ltype, member = plain_wrappers[callee]
                    plain[(fname, ltype)].add(member)
                    callers_by_type[(fname, ltype)][member] += 1
                    continue
                else:
                    continue
                where.setdefault(key, rel)
                callers_by_type[(key[0], key[2])][key[1]] += 1
            # lockdep_set_novalidate_class() beside its init
            for _, args in calls(body, {"lockdep_set_novalidate_class"}):
                lock = re.sub(r"\s+", "", args[0])
                for callee, init_args in calls(body, set(INIT_CALLS)):
                    if re.sub(r"\s+", "", init_args[0]) == lock:
                        novalidate.append((init_name(callee, init_args), fname, rel))
                        break
                else:
                    novalidate.append((None, fname, rel))
            # lockdep_set_class*() on a sleeping lock that this function inits
            inits = {re.sub(r"\s+", "", a[0]) for _, a in calls(body, set(INIT_CALLS)) if a}
            for _, args in calls(body, set(SET_CLASS_CALLS)):
                if len(args) < 2:
                    continue
                lock, key = (re.sub(r"\s+", "", a) for a in args[:2])
                if lock not in inits:
                    continue
                if "->" in key:
                    runtime_keys.append((fname, lock, key, rel))
                else:
                    static_keys += 1

    rules, left_out, counts = [], 0, defaultdict(int)
    for (caller, member, ltype), subs in sorted(nested.items(), key=lambda kv: (kv[0][0], str(kv[0][1]), kv[0][2])):
        if member is None:
            # A bare pointer names no class. A rule for any lock ("*") would
            # send every acquisition down the engine's slow path, and these
            # are mostly static inline helpers that have no symbol anyway.
            left_out += 1
            continue
        values = set(subs)
        if member in plain[(caller, ltype)]:
            values.add(0)
        if None in values or len(values) > 1:
            sub = "any"
        else:
            sub = values.pop()
            if sub == 0:
                continue
        rules.append((caller, member, ltype, sub, where[(caller, member, ltype)]))
        counts["any" if sub == "any" else "fixed"] += 1

    w = sys.stdout.write
    w("# lockdepd's default rules: lockdep annotations that production kernels compile away.\n")
    w("# Generated by rules/gen-kernel-rules.py from %s.\n" % kernel)
    w("# Do not edit: re-run it for another kernel (make kernel-rules KSRC=...), and keep\n")
    w("# hand-made rules in a file of their own.\n")
    w("# %d novalidate, %d nested with a fixed subclass, %d nested with any subclass;\n"
      % (len([n for n in novalidate if n[0]]), counts["fixed"], counts["any"]))
    w("# %d callers left out: their lock is a bare pointer, which names no class.\n" % left_out)
    w("# %d run-time class keys, listed at the end, not generated (see rules/kernel-hand.yaml);\n"
      "# %d lockdep_set_class() calls with a static key, whose locks keep their init's class.\n"
      % (len(runtime_keys), static_keys))
    w("novalidate:\n")
    for name, site, rel in sorted(novalidate, key=lambda n: (n[1], str(n[0]))):
        if name is None:
            continue
        w('  - {name: "%s", site: %s}  # %s\n' % (name, site, rel))
    w("nested:\n")
    for caller, member, ltype, sub, rel in rules:
        w('  - {caller: %s, lock: "%s", type: %s, subclass: %s}  # %s\n' % (caller, member, ltype, sub, rel))
    w("# Run-time class keys: function: lock keyed by key  (file)\n")
    for fname, lock, key, rel in sorted(runtime_keys):
        w("#   %s: %s keyed by %s  (%s)\n" % (fname, lock, key, rel))


def init_name(callee, args):
    if callee in ("__mutex_init", "__init_rwsem") and len(args) >= 2:
        return args[1].strip('"')
    # mutex_init(&x->lock) names the class "&x->lock", as the macro stringifies it.
    return re.sub(r"\s+", "", args[0])


def kernel_version(path):
    base = re.sub(r"\.tar(\.\w+)?$", "", os.path.basename(path.rstrip("/")))
    m = re.search(r"linux-source-([\d.]+)", base)
    deb = ""
    try:
        import subprocess
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "linux-source-%s" % m.group(1)],
                             capture_output=True, text=True) if m else None
        if out and out.returncode == 0:
            deb = "\n# (Debian package linux-source-%s %s)" % (m.group(1), out.stdout)
    except OSError:
        pass
    return base + deb


if __name__ == "__main__":
    main()
