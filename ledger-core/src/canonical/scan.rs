//! An allocation-free check that bytes are canonical JSON, for the common case.
//!
//! [`scan_canonical`] accepts only what [`super::parse_canonical`] accepts, without building
//! a tree or writing the value again: one pass over the bytes checks the grammar with no
//! whitespace, the escapes JCS writes (and no others), integers in their one form, and
//! object members in strictly increasing order of their names (so no name twice), at most
//! [`DEPTH_MAX`] deep. It leaves to the reference parser what it does not decide by
//! itself: numbers that are not integers of magnitude at most 2^53, member names that are
//! escaped or hold characters from U+E000 up (whose UTF-16 order differs from their byte
//! order). For those, and for anything wrong, it says `None`, and the caller runs
//! [`super::parse_canonical`], which accepts or says precisely why not.

use std::ops::Range;

use super::{DEPTH_MAX, EXACT_INT_MAX};

/// Checks that `bytes` are canonical JSON, recording where the values at some paths lie.
///
/// `paths[i]` is a list of member names from the top-level object down; `spans[i]` is set
/// to the byte range of the value found there (left as is when there is none).
///
/// Some(text) only if [`super::parse_canonical`] accepts `bytes`; None if it refuses
/// them, or if this quick check leaves the decision to it (see the module docs).
pub fn scan_canonical<'a>(
    bytes: &'a [u8],
    paths: &[&[&str]],
    spans: &mut [Option<Range<usize>>],
) -> Option<&'a str> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut s = Scanner {
        b: bytes,
        i: 0,
        keys: [None; DEPTH_MAX + 1],
        longest: paths.iter().map(|p| p.len()).max().unwrap_or(0),
        paths,
        spans,
    };
    s.value(0)?;
    (s.i == bytes.len()).then_some(text)
}

struct Scanner<'a, 'p, 's> {
    b: &'a [u8],
    i: usize,
    /// The member name (byte range, without quotes) being read at each depth (None in an
    /// array).
    keys: [Option<(usize, usize)>; DEPTH_MAX + 1],
    /// The longest of `paths`.
    longest: usize,
    paths: &'p [&'p [&'p str]],
    spans: &'s mut [Option<Range<usize>>],
}

impl Scanner<'_, '_, '_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i.checked_add(word.len())?;
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// A value at nesting `depth` (0 at top level).
    fn value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'"' => self.string().map(|_| ()),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn object(&mut self, depth: usize) -> Option<()> {
        if depth > DEPTH_MAX {
            return None;
        }
        self.i += 1;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        let mut previous: Option<(usize, usize)> = None;
        loop {
            let (start, end, escaped) = self.string()?;
            let name = &self.b[start..end];
            // Byte order is UTF-16 order only below U+E000 (UTF-8 lead byte 0xEE).
            if escaped || name.iter().any(|&c| c >= 0xEE) {
                return None;
            }
            if let Some((ps, pe)) = previous {
                if self.b[ps..pe] >= *name {
                    return None;
                }
            }
            previous = Some((start, end));
            self.keys[depth] = Some((start, end));
            self.eat(b':')?;
            let at = self.i;
            self.value(depth)?;
            if depth <= self.longest {
                self.record(depth, at..self.i);
            }
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Records `span` for each path that names the members being read down to `depth`.
    fn record(&mut self, depth: usize, span: Range<usize>) {
        for (path, slot) in self.paths.iter().zip(self.spans.iter_mut()) {
            if path.len() == depth
                && path
                    .iter()
                    .zip(&self.keys[1..=depth])
                    .all(|(want, key)| key.is_some_and(|(s, e)| want.as_bytes() == &self.b[s..e]))
            {
                *slot = Some(span.clone());
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        if depth > DEPTH_MAX {
            return None;
        }
        self.keys[depth] = None;
        self.i += 1;
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            self.value(depth)?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string in its JCS form; returns its contents' byte range and whether it holds an
    /// escape. (The whole input is valid UTF-8, checked before.)
    fn string(&mut self) -> Option<(usize, usize, bool)> {
        self.eat(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            // Plain bytes, the common case, in a tight loop.
            let rest = self.b.get(self.i..)?;
            self.i += rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
            let c = self.b[self.i];
            self.i += 1;
            match c {
                b'"' => return Some((start, self.i - 1, escaped)),
                b'\\' => {
                    escaped = true;
                    match self.peek()? {
                        b'"' | b'\\' | b'b' | b't' | b'n' | b'f' | b'r' => self.i += 1,
                        b'u' => {
                            // Only control characters without a short form, in lowercase.
                            let hex = self.b.get(self.i + 1..self.i + 5)?;
                            let low = |h: u8| match h {
                                b'0'..=b'9' => Some(h - b'0'),
                                b'a'..=b'f' => Some(h - b'a' + 10),
                                _ => None,
                            };
                            if hex[0] != b'0' || hex[1] != b'0' || hex[2] > b'1' {
                                return None;
                            }
                            let v = (low(hex[2])? << 4) | low(hex[3])?;
                            if matches!(v, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                                return None;
                            }
                            self.i += 5;
                        }
                        _ => return None,
                    }
                }
                0x00..=0x1f => return None,
                _ => {}
            }
        }
    }

    /// An integer as JCS writes it: no sign but `-`, no leading zero, no `-0`, magnitude
    /// at most 2^53. Fractions and exponents are left to the reference parser.
    fn number(&mut self) -> Option<()> {
        let negative = self.eat(b'-').is_some();
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        let digits = &self.b[start..self.i];
        if digits.is_empty()
            || digits.len() > 16
            || (digits[0] == b'0' && (digits.len() > 1 || negative))
            || matches!(self.peek(), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        let n = digits
            .iter()
            .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        (n <= EXACT_INT_MAX).then_some(())
    }
}
