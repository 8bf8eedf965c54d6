#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Kernel-doc tooling for libresv's public headers.

  kerneldoc.py check HEADER...   fail (exit 1) on any public symbol without
                                 complete kernel-doc: exported and inline
                                 functions (summary, every @parameter,
                                 Context:, Return: unless void), structs,
                                 unions and enums (every member, unless the
                                 comment says the fields are private),
                                 typedefs and public macros.
  kerneldoc.py filter HEADER     print HEADER with its kernel-doc comments
                                 rewritten into Doxygen commands (Doxygen's
                                 INPUT_FILTER, for `make apidoc`).

Our headers use the kernel's comment format (Documentation/doc-guide/
kernel-doc.rst) because the API mirrors the kernel's; Doxygen does not read
it natively, hence the filter.
"""
import re
import sys

DOC_COMMENT = re.compile(r"/\*\*(.*?)\*/", re.S)
ANY_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
IDENT = r"[A-Za-z_]\w*"
HEAD = re.compile(r"^(?:(struct|union|enum|typedef)\s+)?(" + IDENT + r")(\(\))?\s*-\s*(.*)$")
PARAM = re.compile(r"^@([\w.]+|\.\.\.)\s*:\s*(.*)$")


def comment_lines(body):
    """The lines of a /** */ comment body without the leading ' * '."""
    out = []
    for line in body.split("\n"):
        # " * text" -> "text"; " *\tcode" keeps its tab: it marks a literal block
        line = re.sub(r"^\s*\*( |$)?", "", line, count=1)
        out.append(line.rstrip())
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    return out


class Doc:
    def __init__(self, lines):
        self.lines = lines
        self.kind = self.name = None
        self.is_doc_block = bool(lines) and lines[0].startswith("DOC:")
        m = HEAD.match(lines[0].strip()) if lines else None
        if m and not self.is_doc_block:
            self.kind = m.group(1) or ("function" if m.group(3) else "symbol")
            self.name = m.group(2)
        self.params = {m.group(1) for m in (PARAM.match(l.strip()) for l in lines) if m}
        text = "\n".join(lines)
        self.has_return = re.search(r"^\s*Returns?:", text, re.M) is not None
        self.has_context = re.search(r"^\s*Context:", text, re.M) is not None
        self.private = re.search(r"\bprivate\b", text, re.I) is not None


def parse_docs(text):
    return [Doc(comment_lines(m.group(1))) for m in DOC_COMMENT.finditer(text)]


def strip_comments(text):
    return ANY_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def split_top(s, sep=","):
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts


def param_name(p):
    p = p.strip()
    if p in ("", "void"):
        return None
    if p == "...":
        return "..."
    m = re.search(r"\(\s*\*\s*(" + IDENT + r")\s*\)", p)  # function pointer
    if m:
        return m.group(1)
    p = re.sub(r"\[[^\]]*\]", "", p)
    m = re.search(r"(" + IDENT + r")\s*$", p)
    return m.group(1) if m else None


def functions(code):
    """(name, params, returns_void) of exported prototypes and inline functions."""
    found = []
    proto = re.compile(r"\bRESV_EXPORT\b([^;{}]*?)\b(" + IDENT + r")\s*\(([^;{}]*?)\)\s*"
                       r"(?:RESV_\w+(?:\([^)]*\))?\s*)*;", re.S)
    inline = re.compile(r"\bstatic\s+inline\b([^;{}()]*?)\b(" + IDENT + r")\s*\(([^;{}]*?)\)\s*\{", re.S)
    for rx in (proto, inline):
        for m in rx.finditer(code):
            if m.group(2).startswith("__"):  # header-internal helper of a macro
                continue
            ret = re.sub(r"\bRESV_\w+\b|\bstatic\b|\binline\b|\bextern\b", " ", m.group(1)).strip()
            params = [n for n in (param_name(p) for p in split_top(m.group(3))) if n]
            found.append((m.group(2), params, ret == "void"))
    return found


def matching_brace(code, i):
    depth = 0
    for j in range(i, len(code)):
        if code[j] == "{":
            depth += 1
        elif code[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return len(code) - 1


def members(body, kind):
    """Top-level member names of a struct/union body, or enumerators."""
    if kind == "enum":
        return [m.group(1) for m in (re.match(r"\s*(" + IDENT + r")", e) for e in split_top(body)) if m]
    names = []
    for decl in split_top(body, ";"):
        decl = decl.strip()
        if not decl or decl.startswith("#"):
            continue
        if "{" in decl:  # nested struct/union: its declarator follows the braces
            tail = decl[decl.rindex("}") + 1:]
            m = re.search(r"(" + IDENT + r")\s*(\[[^\]]*\])?\s*$", tail)
            if m:
                names.append(m.group(1))
            continue
        for d in split_top(decl):
            n = param_name(d)
            if n:
                names.append(n)
    return names


def aggregates(code):
    out = []
    for m in re.finditer(r"\b(struct|union|enum)\s+(" + IDENT + r")\s*\{", code):
        start = m.end() - 1
        end = matching_brace(code, start)
        out.append((m.group(1), m.group(2), members(code[start + 1:end], m.group(1))))
    return out


def macros(code):
    out = []
    for m in re.finditer(r"^\s*#\s*define\s+(" + IDENT + r")", code, re.M):
        name = m.group(1)
        if name.startswith("_") or name.endswith("_H"):
            continue
        out.append(name)
    return out


def check(path):
    text = open(path, encoding="utf-8").read()
    docs = parse_docs(text)
    code = strip_comments(text)
    by_name = {}
    for d in docs:
        if d.name:
            by_name.setdefault(d.name, d)
    doc_text = "\n".join("\n".join(d.lines) for d in docs if d.is_doc_block)
    problems = []

    for name, params, is_void in functions(code):
        d = by_name.get(name)
        if d is None:
            problems.append(f"{name}(): no kernel-doc comment")
            continue
        missing = [p for p in params if p not in d.params]
        if missing:
            problems.append(f"{name}(): parameter(s) not described: " + ", ".join("@" + p for p in missing))
        if not d.has_context:
            problems.append(f"{name}(): no 'Context:' section")
        if not is_void and not d.has_return:
            problems.append(f"{name}(): returns a value but has no 'Return:' section")
    for kind, name, names in aggregates(code):
        d = by_name.get(name)
        if d is None or d.kind not in (kind, "symbol"):
            problems.append(f"{kind} {name}: no kernel-doc comment")
            continue
        if d.private:
            continue
        documented = {p.split(".")[0] for p in d.params}
        missing = [n for n in names if n not in documented]
        if missing:
            problems.append(f"{kind} {name}: member(s) not described: " + ", ".join("@" + n for n in missing))
    for m in re.finditer(r"\btypedef\b[^;]*?\(\s*\*\s*(" + IDENT + r")\s*\)[^;]*;|\btypedef\b[^;{}]*?\b(" +
                         IDENT + r")\s*;", code):
        name = m.group(1) or m.group(2)
        if name not in by_name:
            problems.append(f"typedef {name}: no kernel-doc comment")
    for name in macros(code):
        if name not in by_name and not re.search(r"\b" + name + r"\b", doc_text):
            problems.append(f"macro {name}: no kernel-doc comment")
    return [f"{path}: {p}" for p in problems]


# ---- Doxygen filter -------------------------------------------------------

def inline_markup(s):
    s = re.sub(r"&(?:struct|union|enum)\s+(" + IDENT + r")", r"\1", s)
    s = re.sub(r"&(" + IDENT + r")", r"\1", s)
    s = re.sub(r"%(" + IDENT + r")", r"\1", s)
    s = re.sub(r"(?<![\w@])@(" + IDENT + r"(?:\.\w+)*)", r"<tt>\1</tt>", s)
    return s.replace("``", "`")


def to_doxygen(lines, file_level):
    d = Doc(lines)
    out, in_code, members_open = [], False, False
    body = lines[1:] if not d.is_doc_block or True else lines
    first = lines[0].strip() if lines else ""
    if d.is_doc_block:
        out += ["@file", "@par " + inline_markup(first[4:].strip() or "Overview")] if file_level else \
               ["@par " + inline_markup(first[4:].strip())]
    elif d.name:
        summary = HEAD.match(first).group(4)
        out.append("@brief " + inline_markup(summary))
    else:
        body = lines
    code_pending = False
    for raw in body:
        line = raw.rstrip()
        indented = line.startswith("\t") or line.startswith("    ")
        if in_code:
            if line and not indented:
                out.append("@endcode")
                in_code = False
            else:
                out.append(line[1:] if line.startswith("\t") else line[4:])
                continue
        if code_pending and indented:
            out.append("@code")
            in_code = True
            code_pending = False
            out.append(line[1:] if line.startswith("\t") else line[4:])
            continue
        if code_pending and not line.strip():
            out.append("")
            continue
        if line.strip() and not indented:
            code_pending = False
        stripped = line.strip()
        m = PARAM.match(stripped)
        if m and not d.is_doc_block:
            if d.kind == "function":
                out.append(f"@param {m.group(1)} " + inline_markup(m.group(2)))
            else:
                if not members_open:
                    out += ["", "@par Members"]
                    members_open = True
                out.append(f"- <tt>{m.group(1)}</tt>: " + inline_markup(m.group(2)))
            continue
        if re.match(r"^Returns?:", stripped):
            out.append("@return " + inline_markup(re.sub(r"^Returns?:\s*", "", stripped)))
            continue
        if re.match(r"^Context:", stripped):
            out.append("@par Context:")
            out.append(inline_markup(stripped[len("Context:"):].strip()))
            continue
        if stripped.endswith("::"):
            stripped = stripped[:-1]
            code_pending = True
        out.append(inline_markup(stripped))
    if in_code:
        out.append("@endcode")
    return "/**\n" + "\n".join(" * " + l if l else " *" for l in out) + "\n */"


def filter_file(path):
    text = open(path, encoding="utf-8").read()
    first_doc = [True]

    def repl(m):
        lines = comment_lines(m.group(1))
        if not lines:
            return m.group(0)
        file_level = first_doc[0] and lines[0].startswith("DOC:")
        first_doc[0] = False
        new = to_doxygen(lines, file_level)
        # Keep line numbers stable for Doxygen's references.
        pad = m.group(0).count("\n") - new.count("\n")
        return new + "\n" * max(pad, 0)

    sys.stdout.write(DOC_COMMENT.sub(repl, text))


def main(argv):
    if len(argv) >= 3 and argv[1] == "check":
        problems = [p for path in argv[2:] for p in check(path)]
        for p in problems:
            print(p)
        print(f"kerneldoc: {len(argv) - 2} header(s), {len(problems)} problem(s)")
        return 1 if problems else 0
    if len(argv) == 3 and argv[1] == "filter":
        filter_file(argv[2])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
