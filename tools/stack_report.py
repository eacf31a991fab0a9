#!/usr/bin/env python3
"""Worst-case stack per public entry point, from gcc's own numbers.

Usage: tools/stack_report.py [options] BOARD=DIR...

Each DIR is a build tree compiled with `-fstack-usage -fcallgraph-info=su`
(what `make stack` does: build/<board>-stack). Every *.ci file under it is
read: gcc writes one per object, with a node per function carrying its frame
size ("N bytes (static)") and an edge per direct call. Functions are resolved
as the linker would: a callee defined in the caller's own file first (a static
function), else the one global definition of that name. Calls to functions
that have no .ci node (libc, libgcc) count as zero bytes; calls through a
function pointer (gcc's "__indirect_call") count as zero bytes too and are
listed: they are the caller's ports and callbacks, whose frames come on top.

For every public function (floe_* declared in --headers) found in a board's
graph, the worst path is its own frame plus the deepest chain of callees.
The run fails (exit 1) when
  - a function reachable from a public one is part of a call cycle
    (recursion: floe has none, and its stack bound would not hold);
  - a reachable function's frame is over --limit bytes (or the board's
    --frame-limit), or is dynamic (alloca/VLA) without a bound;
  - --max-worst BOARD=N is given and the board's worst path is over N.

Output: a table (text, or Markdown with --markdown) with a column per board;
then one line per board: "stack: BOARD worst N bytes (FUNCTION)".
"""
import argparse
import os
import re
import sys

NODE_RE = re.compile(r'^node: \{ title: "([^"]+)" label: "([^"]*)"')
EDGE_RE = re.compile(r'^edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
FRAME_RE = re.compile(r'\\n(\d+) bytes \(([a-z,]+)\)')
INDIRECT = "__indirect_call"


class Graph:
    def __init__(self, name):
        self.name = name
        self.defs = {}      # (file, fn) -> (bytes, qualifier, location)
        self.by_name = {}   # fn -> [file, ...]
        self.edges = {}     # (file, fn) -> [target name, ...]

    def load(self, root):
        n = 0
        for dirpath, _, files in os.walk(root):
            for f in sorted(files):
                if f.endswith(".ci"):
                    self._load_file(os.path.join(dirpath, f))
                    n += 1
        return n

    def _load_file(self, path):
        key = path
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                m = NODE_RE.match(line)
                if m:
                    title, label = m.group(1), m.group(2)
                    fm = FRAME_RE.search(label)
                    if fm:
                        loc = label.split("\\n")[1] if "\\n" in label else ""
                        self.defs[(key, title)] = (int(fm.group(1)), fm.group(2), loc)
                        self.by_name.setdefault(title, []).append(key)
                    continue
                m = EDGE_RE.match(line)
                if m:
                    self.edges.setdefault((key, m.group(1)), []).append(m.group(2))

    def resolve(self, file, name):
        """The definition a call from `file` to `name` reaches, or None."""
        if (file, name) in self.defs:
            return (file, name)
        cands = self.by_name.get(name, [])
        if not cands:
            return None
        if len(cands) == 1:
            return (cands[0], name)
        # Several files define it (static functions of the same name): a call
        # from another file reaches the global one, which we cannot tell
        # apart here; take the largest frame, which is never optimistic.
        return max(((f, name) for f in cands), key=lambda k: self.defs[k][0])


def public_functions(header_dir):
    names = []
    for f in sorted(os.listdir(header_dir)):
        if not f.endswith(".h"):
            continue
        with open(os.path.join(header_dir, f), encoding="utf-8") as fh:
            text = fh.read()
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        text = re.sub(r"//[^\n]*", " ", text)
        text = "\n".join(l for l in text.split("\n") if not l.lstrip().startswith("#"))
        for stmt in text.split(";"):
            s = stmt.strip()
            if s.startswith("typedef") or "{" in s and "}" not in s.split("{")[-1]:
                s = s.split("{")[-1]
            m = re.search(r"\b(floe_\w+)\s*\((?!\s*\*)", s)
            if m and not s.startswith("typedef"):
                header = f[:-2]
                if (m.group(1), header) not in names:
                    names.append((m.group(1), header))
    return names


# Recursion in third-party code that is bounded by construction. Each entry:
# function name -> how many times the cycle can be on the stack at once. Every
# function of a call cycle must be listed for the cycle to be accepted; its
# cost is then that many times the sum of the cycle's frames. floe's own code
# has no recursion at all and gets no entry.
BOUNDED_RECURSION = {
    # zstd: a frame header shorter than 8 bytes is copied into an 8-byte
    # buffer and parsed again, once (FSE_readNCount_body).
    "FSE_readNCount_body_default": 2,
    "FSE_readNCount_body_bmi2": 2,
    "FSE_readNCount_bmi2": 2,
    "FSE_readNCount": 2,
    # zstd's compressor (FLOE_ZSTD_COMPRESS=1): HUF_simpleQuickSort sorts one
    # bucket of at most 256 symbols and recurses only into the smaller part,
    # so at most log2(256) + 1 deep; ZSTD_deriveBlockSplitsHelper halves a
    # block's sequences (at most 128 KiB / 3) until fewer than 300 are left
    # (MIN_SEQUENCES_BLOCK_SPLITTING), log2(43691 / 300) + 1 < 9 deep, and
    # only runs for the btopt+ strategies that floe leaves out anyway.
    "HUF_simpleQuickSort": 9,
    "ZSTD_deriveBlockSplitsHelper": 9,
    # mbedTLS: a GCM cipher context runs its block cipher through the generic
    # cipher layer once (cipher_update -> gcm_update -> gcm_mask ->
    # cipher_update on the inner ECB context, which never reaches GCM again).
    "mbedtls_cipher_update": 2,
    "mbedtls_gcm_update": 2,
    "gcm_mask": 2,
}


def short(title):
    """A node title for people: 'file.c:fn' for statics, else the name."""
    if ":" in title:
        path, fn = title.rsplit(":", 1)
        return "%s:%s" % (os.path.basename(path), fn)
    return title


class Analysis:
    """Worst paths over the call graph condensed into strongly connected
    components: an acyclic component costs its frame; a cycle costs its
    bound (BOUNDED_RECURSION) times the sum of its frames, and is an error
    unless every member is listed there."""

    def __init__(self, g, limit):
        self.g = g
        self.limit = limit
        keys = sorted(g.defs)
        self.succ = {}
        self.indirect = {}
        for k in keys:
            out = []
            for tgt in g.edges.get(k, []):
                if tgt == INDIRECT:
                    self.indirect[k] = True
                    continue
                c = g.resolve(k[0], tgt)
                if c is not None and c not in out:
                    out.append(c)
            self.succ[k] = out
        self._scc(keys)
        self.memo = {}

    def _scc(self, keys):
        # Tarjan's algorithm, iterative (the graph is deep enough to
        # overflow Python's own recursion limit).
        index, low, on, st = {}, {}, set(), []
        self.comp = {}
        self.members = []
        counter = [0]
        for root in keys:
            if root in index:
                continue
            work = [(root, 0)]
            while work:
                v, i = work.pop()
                if i == 0:
                    index[v] = low[v] = counter[0]
                    counter[0] += 1
                    st.append(v)
                    on.add(v)
                recurse = False
                succ = self.succ[v]
                while i < len(succ):
                    w = succ[i]
                    i += 1
                    if w not in index:
                        work.append((v, i))
                        work.append((w, 0))
                        recurse = True
                        break
                    if w in on:
                        low[v] = min(low[v], index[w])
                if recurse:
                    continue
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = st.pop()
                        on.discard(w)
                        self.comp[w] = len(self.members)
                        comp.append(w)
                        if w == v:
                            break
                    self.members.append(comp)
                if work:
                    u = work[-1][0]
                    low[u] = min(low[u], low[v])

    def cyclic(self, c):
        m = self.members[c]
        return len(m) > 1 or m[0] in self.succ[m[0]]

    def bound(self, c):
        """(times the component can be on the stack, accepted?)"""
        if not self.cyclic(c):
            return 1, True
        names = [k[1].rsplit(":", 1)[-1] for k in self.members[c]]
        if all(n in BOUNDED_RECURSION for n in names):
            return max(BOUNDED_RECURSION[n] for n in names), True
        return 1, False

    def worst_comp(self, c):
        """(bytes, [component ids on the worst path], indirect calls on it)"""
        if c in self.memo:
            return self.memo[c]
        times, _ = self.bound(c)
        cost = times * sum(self.g.defs[k][0] for k in self.members[c])
        ind = any(self.indirect.get(k) for k in self.members[c])
        best = (0, [], 0)
        # The condensation is a DAG: iterate deepest-first to keep Python's
        # stack shallow.
        for k in self.members[c]:
            for w in self.succ[k]:
                d = self.comp[w]
                if d != c:
                    sub = self.memo.get(d)
                    if sub is None:
                        sub = self._worst_iter(d)
                    if sub[0] > best[0]:
                        best = sub
        res = (cost + best[0], [c] + best[1], best[2] + (1 if ind else 0))
        self.memo[c] = res
        return res

    def _worst_iter(self, start):
        # Post-order over the condensation from start, then worst_comp on
        # each (their successors are all memoized by then).
        order, seen, work = [], set(), [(start, False)]
        while work:
            c, done = work.pop()
            if done:
                order.append(c)
                continue
            if c in seen or c in self.memo:
                continue
            seen.add(c)
            work.append((c, True))
            for k in self.members[c]:
                for w in self.succ[k]:
                    d = self.comp[w]
                    if d != c and d not in seen and d not in self.memo:
                        work.append((d, False))
        for c in order:
            if c not in self.memo:
                self.worst_comp(c)
        return self.memo[start]

    def worst(self, key):
        return self._worst_iter(self.comp[key])

    def reachable(self, roots):
        seen, work = set(), list(roots)
        while work:
            k = work.pop()
            if k in seen:
                continue
            seen.add(k)
            work.extend(self.succ[k])
        return seen

    def problems(self, roots):
        """[(message)] for cycles not accepted and frames over the limit,
        among the functions reachable from roots."""
        out = []
        reach = self.reachable(roots)
        comps = sorted({self.comp[k] for k in reach})
        for c in comps:
            times, ok = self.bound(c)
            if not ok:
                names = [short(k[1]) for k in self.members[c]]
                out.append("recursion: %s" % " <-> ".join(sorted(names)))
        for k in sorted(reach):
            frame, qual, loc = self.g.defs[k]
            if frame > self.limit:
                out.append("%s (%s): frame of %d bytes, over the %d-byte limit" % (short(k[1]), loc, frame, self.limit))
            if "dynamic" in qual and "bounded" not in qual:
                out.append("%s (%s): dynamic frame without a bound (%s)" % (short(k[1]), loc, qual))
        return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--headers", required=True, help="include/floe")
    ap.add_argument("--limit", type=int, default=1536, help="largest single frame allowed (bytes)")
    ap.add_argument("--max-worst", action="append", default=[], metavar="BOARD=N",
                    help="fail when BOARD's worst path is over N bytes")
    ap.add_argument("--frame-limit", action="append", default=[], metavar="BOARD=N",
                    help="BOARD's own largest-frame limit instead of --limit")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--paths", action="store_true", help="print each board's worst path in full")
    ap.add_argument("boards", nargs="+", metavar="BOARD=DIR")
    args = ap.parse_args()

    pubs = public_functions(args.headers)
    frame_limits = {}
    for spec in args.frame_limit:
        b, _, n = spec.partition("=")
        frame_limits[b] = int(n)
    failed = False
    results = []  # (board, {fn: (total, frame, path, indirect)})
    for spec in args.boards:
        board, _, root = spec.partition("=")
        g = Graph(board)
        if not root or g.load(root) == 0:
            print("stack_report: %s: no .ci files under %s (build with -fcallgraph-info=su)" % (board, root),
                  file=sys.stderr)
            return 2
        an = Analysis(g, frame_limits.get(board, args.limit))
        table = {}
        roots = []
        for fn, _ in pubs:
            key = g.resolve(None, fn)
            if key is None:
                continue
            roots.append(key)
            total, path, ind = an.worst(key)
            table[fn] = (total, g.defs[key][0], path, ind)
        results.append((board, table, an, g))
        for msg in an.problems(roots):
            print("stack_report: %s: %s" % (board, msg), file=sys.stderr)
            failed = True

    boards = [r[0] for r in results]
    rows = [(fn, hdr) for fn, hdr in pubs if any(fn in r[1] for r in results)]
    if args.markdown:
        print("| entry point | " + " | ".join(boards) + " |")
        print("|---|" + "---:|" * len(boards))
        for fn, hdr in rows:
            cells = []
            for _, table, _, _ in results:
                t = table.get(fn)
                cells.append("" if t is None else "%d%s" % (t[0], "+cb" if t[3] else ""))
            print("| `%s` (%s.h) | %s |" % (fn, hdr, " | ".join(cells)))
    else:
        w = max(len(fn) for fn, _ in rows) if rows else 10
        print("%-*s  %s" % (w, "entry point (worst path, bytes; +cb: plus port/callback frames)",
                            "  ".join("%12s" % b for b in boards)))
        for fn, hdr in rows:
            cells = []
            for _, table, _, _ in results:
                t = table.get(fn)
                cells.append("%12s" % ("-" if t is None else "%d%s" % (t[0], "+cb" if t[3] else "")))
            print("%-*s  %s" % (w, fn, "  ".join(cells)))

    limits = {}
    for spec in args.max_worst:
        b, _, n = spec.partition("=")
        limits[b] = int(n)
    for board, table, an, g in results:
        if not table:
            continue
        fn = max(table, key=lambda f: table[f][0])
        total, _, path, ind = table[fn]
        reach = an.reachable([g.resolve(None, f) for f in table])
        big = max(reach, key=lambda k: g.defs[k][0])
        print("stack: %s worst %d bytes (%s)%s; largest frame %d bytes (%s)" % (
            board, total, fn, ", plus port/callback frames" if ind else "", g.defs[big][0], short(big[1])))
        if args.paths:
            for c in path:
                times, _ = an.bound(c)
                for k in an.members[c]:
                    print("    %6d%s  %s  %s" % (g.defs[k][0], " x%d" % times if times > 1 else "   ",
                                               short(k[1]), os.path.relpath(g.defs[k][2].split(":")[0])))
        if board in limits and total > limits[board]:
            print("stack_report: %s: worst path %d bytes is over the budget of %d (boards/%s/budget.mk)"
                  % (board, total, limits[board], board), file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
