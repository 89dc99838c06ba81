//! The report's filters applied as findings arrive: confidence, inline
//! allow markers, ignored fingerprints and the baseline, for whole inputs,
//! streams and parallel streams.

use super::*;

/// Which findings a report keeps: the confidence threshold, and whether
/// allow markers on a finding's line drop it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Filter {
    pub(super) min_confidence: Confidence,
    pub(super) inline_allow: bool,
    /// Drop tokens whose own expiry has passed.
    pub(super) skip_expired: bool,
    /// Keep only occurrences of known values (`--find`).
    pub(super) find_only: bool,
}

impl Filter {
    pub(super) fn keeps(&self, f: &Finding, rules: usize) -> bool {
        f.confidence >= self.min_confidence
            && !(self.skip_expired && f.token.as_ref().and_then(|t| t.expired()) == Some(true))
            && (!self.find_only || f.rule_index >= rules)
    }
}

/// One stream of findings with the report's filter applied: confidence,
/// then allow markers on the finding's line.
pub(super) struct Filtered {
    pub(super) stream: secretscan::StreamScanner,
    pub(super) allow: Option<InlineAllow>,
    pub(super) filter: Filter,
    pub(super) rules: usize,
}

impl Filtered {
    pub(super) fn new(scanner: &Scanner, filter: Filter, capture: bool) -> Filtered {
        let mut stream = scanner.stream();
        stream.capture_secrets(capture);
        Filtered {
            stream,
            allow: filter.inline_allow.then(|| InlineAllow::new(scanner)),
            filter,
            rules: scanner.rules().len(),
        }
    }

    pub(super) fn push(&mut self, chunk: &[u8]) -> Vec<Finding> {
        let mut found = self.stream.push(chunk);
        found.retain(|f| self.filter.keeps(f, self.rules));
        match &mut self.allow {
            Some(allow) => {
                let mut out = vec![];
                allow.push(chunk, found, &mut out);
                out
            }
            None => found,
        }
    }

    pub(super) fn finish(&mut self) -> Vec<Finding> {
        let mut found = self.stream.finish();
        found.retain(|f| self.filter.keeps(f, self.rules));
        match &mut self.allow {
            Some(allow) => {
                let mut out = vec![];
                allow.finish(found, &mut out);
                out
            }
            None => found,
        }
    }
}

/// A stream of one input: its raw bytes and its UTF-16LE view, each
/// scanned and filtered; findings of the view carry raw offsets.
pub(super) struct FilteredStream {
    pub(super) raw: Filtered,
    pub(super) wide: Filtered,
    pub(super) view: Utf16View,
    pub(super) narrow: Vec<u8>,
}

impl FilteredStream {
    pub(super) fn new(scanner: &Scanner, filter: Filter, capture: bool) -> FilteredStream {
        FilteredStream {
            raw: Filtered::new(scanner, filter, capture),
            wide: Filtered::new(scanner, filter, capture),
            view: Utf16View::new(scanner),
            narrow: vec![],
        }
    }

    pub(super) fn push(&mut self, chunk: &[u8]) -> Vec<Finding> {
        let mut found = self.raw.push(chunk);
        self.narrow.clear();
        self.view.push(chunk, &mut self.narrow);
        if !self.narrow.is_empty() {
            let wide = self.wide.push(&self.narrow);
            self.map_wide(wide, &mut found);
        }
        found
    }

    pub(super) fn finish(&mut self) -> Vec<Finding> {
        let mut found = self.raw.finish();
        self.narrow.clear();
        self.view.finish(&mut self.narrow);
        let mut wide = self.wide.push(&self.narrow);
        wide.extend(self.wide.finish());
        self.map_wide(wide, &mut found);
        found
    }

    pub(super) fn map_wide(&self, wide: Vec<Finding>, out: &mut Vec<Finding>) {
        for mut f in wide {
            if self.view.map(&mut f) {
                out.push(f);
            }
        }
    }
}

/// [`FilteredStream`] with the raw bytes scanned in parallel blocks (a
/// [`ParallelStream`]); the UTF-16LE view is scanned meanwhile as a
/// sequential stream: it is one `memchr` pass over text without `00`
/// bytes, and small for binary data.
pub(super) struct ParallelFiltered {
    pub(super) raw: ParallelStream,
    pub(super) allow: Option<InlineAllow>,
    /// Bytes pushed but not yet given to `allow`: it takes each byte with
    /// the findings up to it, and the parallel scan reports a block later.
    pub(super) unfiltered: Vec<u8>,
    /// How many of them `allow` has taken.
    pub(super) given: usize,
    pub(super) filter: Filter,
    pub(super) rules: usize,
    pub(super) wide: Filtered,
    pub(super) view: Utf16View,
    pub(super) narrow: Vec<u8>,
}

impl ParallelFiltered {
    pub(super) fn new(scanner: &Scanner, filter: Filter, capture: bool) -> ParallelFiltered {
        let mut raw = scanner.parallel_stream(DEFAULT_CHUNK_LEN);
        raw.capture_secrets(capture);
        ParallelFiltered {
            raw,
            allow: filter.inline_allow.then(|| InlineAllow::new(scanner)),
            unfiltered: vec![],
            given: 0,
            filter,
            rules: scanner.rules().len(),
            wide: Filtered::new(scanner, filter, capture),
            view: Utf16View::new(scanner),
            narrow: vec![],
        }
    }

    pub(super) fn push(&mut self, chunk: &[u8]) -> Vec<Finding> {
        let (raw, view, narrow, wide) = (
            &mut self.raw,
            &mut self.view,
            &mut self.narrow,
            &mut self.wide,
        );
        let (found, wide_found) = rayon::join(
            || raw.push(chunk),
            || {
                narrow.clear();
                view.push(chunk, narrow);
                if narrow.is_empty() {
                    vec![]
                } else {
                    wide.push(narrow)
                }
            },
        );
        let mut out = self.raw_filter(chunk, found, false);
        self.map_wide(wide_found, &mut out);
        out
    }

    /// Appends `chunk` to the bytes waiting for `allow`, and returns the
    /// range of them that the findings returned so far cover.
    pub(super) fn scanned(&mut self, chunk: &[u8], last: bool) -> Range<usize> {
        if self.allow.is_none() {
            return 0..0;
        }
        // Compact in large steps only: a copy of what waits on every push
        // would cost more than the scan.
        if self.given > self.unfiltered.len() / 2 {
            self.unfiltered.drain(..self.given);
            self.given = 0;
        }
        self.unfiltered.extend_from_slice(chunk);
        let waiting = if last {
            0
        } else {
            (self.raw.offset() - self.raw.scanned_to()) as usize
        };
        let to = self.unfiltered.len() - waiting;
        let from = std::mem::replace(&mut self.given, to);
        from..to
    }

    /// Goes on sequentially: every finding that a [`FilteredStream`]
    /// would have reported by now is reported.
    pub(super) fn go_sequential(&mut self) -> Vec<Finding> {
        let found = self.raw.go_sequential();
        self.raw_filter(&[], found, false)
    }

    pub(super) fn finish(&mut self) -> Vec<Finding> {
        let found = self.raw.finish();
        let mut out = self.raw_filter(&[], found, true);
        self.narrow.clear();
        self.view.finish(&mut self.narrow);
        let mut wide = self.wide.push(&self.narrow);
        wide.extend(self.wide.finish());
        self.map_wide(wide, &mut out);
        out
    }

    pub(super) fn raw_filter(
        &mut self,
        chunk: &[u8],
        mut found: Vec<Finding>,
        last: bool,
    ) -> Vec<Finding> {
        found.retain(|f| self.filter.keeps(f, self.rules));
        let scanned = self.scanned(chunk, last);
        match &mut self.allow {
            Some(allow) => {
                let mut out = vec![];
                allow.push(&self.unfiltered[scanned], found, &mut out);
                if last {
                    allow.finish(vec![], &mut out);
                }
                out
            }
            None => found,
        }
    }

    pub(super) fn map_wide(&self, wide: Vec<Finding>, out: &mut Vec<Finding>) {
        for mut f in wide {
            if self.view.map(&mut f) {
                out.push(f);
            }
        }
    }
}
