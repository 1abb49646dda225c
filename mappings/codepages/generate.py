#!/usr/bin/env python3
"""Generate koseki's code-page tables from the machine's glibc iconv.

Run from anywhere: `python3 mappings/codepages/generate.py` rewrites the *.tsv files beside
this script. It needs only Python 3 (standard library) and glibc (every Debian machine has
both); it calls glibc's own iconv(3) through ctypes so that each code is converted alone
and an undefined code is seen as EILSEQ instead of being skipped.

Output format (one file per code page, read by moji at compile time via include_str!):
    # comment lines
    CODE<TAB>U+XXXX[ U+YYYY...]<TAB>FLAGS
CODE is 2 hex digits (single byte) or 4 (double byte). FLAGS is empty, `d` or `e`.
`d` (decode-only duplicate): the code decodes to that text but is not the code the encoder
emits for it (glibc encodes the text to another code), so encode(decode(code)) != code.
`e` (encode-only): the encoder maps that text to the code, but the code decodes to another
text (JEF: the 1983 form of a code that decodes to its 1978 form).

Sources:
  ebcdic-kana  glibc IBM290, with the full-width katakana glibc emits for kana narrowed
               back to U+FF61..U+FF9F (CCSID 290 is a half-width katakana set), and the
               bytes glibc IBM290 lacks taken from glibc IBM930's single-byte half.
  ibm930/939/1390/1399  glibc IBM930/939/1390/1399, single bytes and SO..SI double bytes.
  jef          single byte: ebcdic-kana with Fujitsu's EBCDIK differences (listed in
               FUJITSU_EBCDIK below); double byte standard area 0xA1A1..0xFEFE:
               JIS row/cell -> Shift_JIS bytes -> glibc IBM932, whose kanji follow the
               JIS C 6226-1978 code order (e.g. 0x88B1 is U+9C3A, not 1983's U+9BF5);
               0x4040 -> U+3000. User and extended areas are algorithmic / vendor tables.
               The kanji codes where JIS C 6226-1978 differs from JIS X 0208:1983 come from
               jis1978-shapes.tsv (hand-maintained, sources in its header): the code decodes
               to the 1978 form, and the 1983 form encodes to it (`e`) when no code decodes
               to that. The table is checked against glibc EUC-JP (1983) and IBM932.
"""
import ctypes
import ctypes.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
libc.iconv_open.restype = ctypes.c_void_p
libc.iconv_open.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.iconv.restype = ctypes.c_size_t
libc.iconv.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p),
                       ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(ctypes.c_char_p),
                       ctypes.POINTER(ctypes.c_size_t)]
FAIL = ctypes.c_size_t(-1).value


class Conv:
    def __init__(self, to, frm):
        self.cd = libc.iconv_open(to.encode(), frm.encode())
        if self.cd in (None, FAIL):
            sys.exit(f"generate.py: glibc iconv cannot convert {frm} -> {to}")

    def __call__(self, data):
        """Convert `data` in one go; None when iconv rejects any of it."""
        libc.iconv(self.cd, None, None, None, None)
        inbuf = ctypes.create_string_buffer(data, len(data))
        outbuf = ctypes.create_string_buffer(256)
        ip = ctypes.cast(inbuf, ctypes.c_char_p)
        il = ctypes.c_size_t(len(data))
        op = ctypes.cast(outbuf, ctypes.c_char_p)
        ol = ctypes.c_size_t(256)
        if libc.iconv(self.cd, ctypes.byref(ip), ctypes.byref(il), ctypes.byref(op), ctypes.byref(ol)) == FAIL:
            return None
        if libc.iconv(self.cd, None, None, ctypes.byref(op), ctypes.byref(ol)) == FAIL:
            return None
        return outbuf.raw[:256 - ol.value]


def decoder(cs):
    c = Conv("UTF-32LE", cs)

    def dec(b):
        r = c(b)
        return None if r is None else r.decode("utf-32-le")
    return dec


def encoder(cs):
    c = Conv(cs, "UTF-32LE")
    return lambda text: c(text.encode("utf-32-le"))


def narrow_kana(ch):
    """glibc IBM290 widens half-width katakana; map the full-width form back."""
    import unicodedata
    # NFKC gives a spacing mark + combining mark for ﾞ/ﾟ, so these two are named.
    marks = {"\u309b": "\uff9e", "\u309c": "\uff9f"}
    if ch in marks:
        return marks[ch]
    for cp in range(0xFF61, 0xFFA0):
        if unicodedata.normalize("NFKC", chr(cp)) == ch:
            return chr(cp)
    return ch


def sbcs_ebcdic_kana(fill_from_930=True):
    dec = decoder("IBM290")
    dec930 = decoder("IBM930")
    table = {}
    for b in range(256):
        t = dec(bytes([b]))
        if t is None and fill_from_930 and b not in (0x0E, 0x0F):
            # glibc IBM290 lacks the lower-case Latin letters (and a few symbols) that IBM's
            # CCSID 290 table (ICU ibm-290) and glibc's IBM930 single-byte half both have.
            t = dec930(bytes([b]))
        if t is None:
            continue
        if len(t) == 1 and 0x3000 <= ord(t) <= 0x30FF:
            t = narrow_kana(t)
        table[b] = t
    return table


# Fujitsu EBCDIK differs from IBM CCSID 290 at these bytes: NL/LF swapped, backslash
# instead of yen, broken bar, tilde instead of overline (issue 2), and braces at 0xC0/0xD0,
# which CCSID 290 leaves undefined (Fujitsu's EBCDIK table as published by jef4j,
# fujitsu_ebcdik_mapping.json).
FUJITSU_EBCDIK = {0x15: "\u000a", 0x25: "\u0085", 0x5B: "\u005c", 0x6A: "\u00a6", 0xA1: "\u007e",
                  0xC0: "\u007b", 0xD0: "\u007d"}


def mixed(cs):
    """Single bytes and SO/SI double bytes of a glibc stateful EBCDIC code page."""
    dec = decoder(cs)
    enc = encoder(cs)
    rows = []
    for b in range(256):
        if b in (0x0E, 0x0F):
            continue
        t = dec(bytes([b]))
        if t is None:
            continue
        back = enc(t)
        # Duplicate only when glibc encodes the text to another *single* byte; when it prefers
        # a double-byte code (e.g. IBM930 0xA0 '~'), single-byte fields still need this byte.
        # (glibc's encoding must also decode back to the text: 0xA0 '~' encodes one-way to 0xA1.)
        dup = back is not None and len(back) == 1 and back != bytes([b]) and dec(back) == t
        rows.append((b, 1, t, dup))
    by_text = {}
    dbcs = []
    for hi in range(0x40, 0x100):
        for lo in range(0x40, 0x100):
            t = dec(bytes([0x0E, hi, lo, 0x0F]))
            if not t:
                continue
            dbcs.append((hi << 8 | lo, t))
            by_text.setdefault(t, []).append(hi << 8 | lo)
    for code, t in dbcs:
        back = enc(t)
        if back is not None and len(back) == 4 and back[0] == 0x0E and dec(back) == t:
            canon = back[1] << 8 | back[2]
        else:
            # glibc encodes this text as a single byte (or not at all): the double-byte
            # encoder (PIC N fields) then uses the lowest code that decodes to it.
            canon = by_text[t][0]
        rows.append((code, 2, t, canon != code))
    return rows


def jis_to_sjis(j1, j2):
    s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
    if j1 & 1:
        s2 = j2 + 0x1F + (1 if j2 >= 0x60 else 0)
    else:
        s2 = j2 + 0x7E
    return bytes([s1, s2])


SHAPES = os.path.join(HERE, "jis1978-shapes.tsv")


def ucs(field):
    return "".join(chr(int(u[2:], 16)) for u in field.split())


def jis1978_shapes():
    """jis1978-shapes.tsv as {JEF code: (ucs1983, ucs1978, kind)}."""
    table = {}
    with open(SHAPES, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.startswith("#") or line.startswith("jis\t") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 5 or cols[4] not in ("swap", "moved", "shape", "compat", "ibm932"):
                sys.exit(f"{SHAPES}:{n}: expected jis, jef, ucs1983, ucs1978, kind, note")
            rc, code = cols[0], int(cols[1], 16)
            row, cell = (int(x) for x in rc.split("-"))
            if code != (row + 0xA0) << 8 | (cell + 0xA0):
                sys.exit(f"{SHAPES}:{n}: JEF code {cols[1]} is not row-cell {rc}")
            table[code] = (ucs(cols[2]), ucs(cols[3]), cols[4])
    return table


def jef():
    rows = []
    kana = sbcs_ebcdic_kana(fill_from_930=False)  # Fujitsu EBCDIK has no lower case
    for b in range(256):
        t = FUJITSU_EBCDIK.get(b, kana.get(b))
        if t is None or b in (0x28, 0x29, 0x38):
            continue  # 0x28/0x38 shift into double byte, 0x29 back: never text
        rows.append((b, 1, t, False))
    rows.append((0x4040, 2, "\u3000", False))
    dec = decoder("IBM932")
    enc = encoder("IBM932")
    jis1983 = decoder("EUC-JP")
    shapes = jis1978_shapes()
    seen = {}
    std = []
    aliases = {}  # JEF code -> texts the encoder also maps to it (1983 forms)
    for hi in range(0xA1, 0xFF):
        for lo in range(0xA1, 0xFF):
            row, cell = hi - 0xA0, lo - 0xA0
            code = hi << 8 | lo
            if (row == 2 and cell > 14) or row == 8 or row == 84:
                # JIS C 6226-1978 had only 14 symbols in row 2 and nothing in rows 8 and 84:
                # JIS X 0208:1983 added those (glibc IBM932 carries the additions).
                continue
            sj = jis_to_sjis(hi - 0x80, lo - 0x80)
            t = dec(sj)
            if t is None or t == "\ufffd":
                continue
            j83 = jis1983(bytes([hi, lo]))
            if code in shapes:
                u83, u78, kind = shapes[code]
                if j83 != u83:
                    sys.exit(f"{SHAPES}: {code:04X}: ucs1983 {u83!r}, but glibc EUC-JP gives {j83!r}")
                if kind in ("shape", "compat", "ibm932"):
                    aliases[code] = [x for x in dict.fromkeys((u83, t)) if x != u78]
                t = u78
            elif 16 <= row <= 83 and j83 != t:
                sys.exit(f"glibc IBM932 and EUC-JP differ at JEF {code:04X} ({t!r} / {j83!r}), "
                         f"which {os.path.basename(SHAPES)} does not explain")
            std.append((code, t, enc(t) == sj))
            seen.setdefault(t, []).append(code)
    missing = set(shapes) - {code for code, _, _ in std}
    if missing:
        sys.exit(f"{SHAPES}: codes outside the standard area: {sorted(missing)}")
    for code, t, canon in std:
        # The encoder emits the code IBM932 itself encodes the text to; failing that, the
        # lowest code that decodes to it.
        if not canon:
            canon = seen[t][0] == code and not any(c for c, tt, k in std if tt == t and k)
        rows.append((code, 2, t, "" if canon else "d"))
    for code, texts in aliases.items():
        for t in texts:
            # Only a text no code decodes to: a swapped partner keeps its own code.
            if t not in seen:
                rows.append((code, 2, t, "e"))
                seen[t] = [code]
    return rows


def write(name, source, rows):
    path = os.path.join(HERE, name + ".tsv")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"# {name}: generated by mappings/codepages/generate.py from glibc iconv ({source}).\n")
        f.write("# Generated, do not edit: change generate.py and run it again.\n")
        f.write("# code\tucs\tflags (d = decode-only duplicate, e = encode-only)\n")
        for code, width, text, flag in sorted(rows, key=lambda r: (r[1], r[0], r[3] == "e")):
            ucs = " ".join(f"U+{ord(c):04X}" for c in text)
            hexcode = f"{code:02X}" if width == 1 else f"{code:04X}"
            flag = {True: "d", False: ""}.get(flag, flag)
            f.write(f"{hexcode}\t{ucs}\t{flag}\n")
    print(f"{path}: {len(rows)} codes", file=sys.stderr)


def main():
    kana = sbcs_ebcdic_kana()
    write("ebcdic-kana", "IBM290, kana narrowed, gaps from IBM930 single bytes", [(b, 1, t, False) for b, t in kana.items()])
    for cs in ("IBM930", "IBM939", "IBM1390", "IBM1399"):
        write(cs.lower(), cs, mixed(cs))
    write("jef", "IBM290 + Fujitsu EBCDIK differences; IBM932 for the JIS C 6226-1978 standard area, "
          "with jis1978-shapes.tsv", jef())


if __name__ == "__main__":
    main()
