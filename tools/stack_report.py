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
  - a reachable function's frame is over --limit bytes, or is dynamic
    (alloca/VLA) without a bound;
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


class Analysis:
    def __init__(self, g, limit):
        self.g = g
        self.limit = limit
        self.memo = {}      # def key -> (total, path [keys], indirect count)
        self.cycles = []
        self.big = {}       # def key -> reason
        self.stack = []
        self.on_stack = set()

    def worst(self, key):
        if key in self.memo:
            return self.memo[key]
        g = self.g
        frame, qual, _ = g.defs[key]
        if frame > self.limit:
            self.big[key] = "%d bytes, over the %d-byte limit" % (frame, self.limit)
        if "dynamic" in qual and "bounded" not in qual:
            self.big[key] = "dynamic frame without a bound (%s)" % qual
        self.stack.append(key)
        self.on_stack.add(key)
        best = (0, [], 0)
        indirect_here = 0
        for tgt in g.edges.get(key, []):
            if tgt == INDIRECT:
                indirect_here += 1
                continue
            callee = g.resolve(key[0], tgt)
            if callee is None:
                continue
            if callee in self.on_stack:
                i = self.stack.index(callee)
                cyc = [k[1] for k in self.stack[i:]] + [callee[1]]
                if cyc not in self.cycles:
                    self.cycles.append(cyc)
                continue
            sub = self.worst(callee)
            if sub[0] > best[0]:
                best = sub
        self.stack.pop()
        self.on_stack.discard(key)
        res = (frame + best[0], [key] + best[1], best[2] + (1 if indirect_here else 0))
        # A result computed inside a cycle is only a lower bound; memoize
        # anyway: the run fails on the cycle.
        self.memo[key] = res
        return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--headers", required=True, help="include/floe")
    ap.add_argument("--limit", type=int, default=1536, help="largest single frame allowed (bytes)")
    ap.add_argument("--max-worst", action="append", default=[], metavar="BOARD=N",
                    help="fail when BOARD's worst path is over N bytes")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--paths", action="store_true", help="print each board's worst path in full")
    ap.add_argument("boards", nargs="+", metavar="BOARD=DIR")
    args = ap.parse_args()

    pubs = public_functions(args.headers)
    failed = False
    results = []  # (board, {fn: (total, frame, path, indirect)})
    for spec in args.boards:
        board, _, root = spec.partition("=")
        g = Graph(board)
        if not root or g.load(root) == 0:
            print("stack_report: %s: no .ci files under %s (build with -fcallgraph-info=su)" % (board, root),
                  file=sys.stderr)
            return 2
        an = Analysis(g, args.limit)
        table = {}
        for fn, _ in pubs:
            key = g.resolve(None, fn)
            if key is None:
                continue
            total, path, ind = an.worst(key)
            table[fn] = (total, g.defs[key][0], path, ind)
        results.append((board, table, an, g))
        for cyc in an.cycles:
            print("stack_report: %s: recursion: %s" % (board, " -> ".join(cyc)), file=sys.stderr)
            failed = True
        for key, why in sorted(an.big.items(), key=lambda kv: kv[0][1]):
            print("stack_report: %s: %s (%s): %s" % (board, key[1], g.defs[key][2], why), file=sys.stderr)
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
        print("stack: %s worst %d bytes (%s)%s" % (board, total, fn,
                                                    ", plus port/callback frames" if ind else ""))
        if args.paths:
            for k in path:
                print("    %6d  %s  %s" % (g.defs[k][0], k[1], g.defs[k][2]))
        if board in limits and total > limits[board]:
            print("stack_report: %s: worst path %d bytes is over the budget of %d (boards/%s/budget.mk)"
                  % (board, total, limits[board], board), file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
