//! The `Range` header, as S3 reads it: one `bytes=` range (first-last, first-, or -suffix).
//! A header S3 cannot parse, or one with several ranges, is ignored and the whole object
//! is returned (200); a well-formed range that misses the object is 416 InvalidRange.

use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    FromTo(u64, u64),
    From(u64),
    Suffix(u64),
}

impl ByteRange {
    pub fn parse(header: &str) -> Option<ByteRange> {
        let spec = header.trim().strip_prefix("bytes=")?.trim();
        if spec.contains(',') {
            return None;
        }
        let (first, last) = spec.split_once('-')?;
        let (first, last) = (first.trim(), last.trim());
        let number = |s: &str| -> Option<u64> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        };
        match (first.is_empty(), last.is_empty()) {
            (true, true) => None,
            (true, false) => number(last).map(ByteRange::Suffix),
            (false, true) => number(first).map(ByteRange::From),
            (false, false) => {
                let (a, b) = (number(first)?, number(last)?);
                (a <= b).then_some(ByteRange::FromTo(a, b))
            }
        }
    }

    /// The half-open span this range selects in an object of `size` bytes; None = unsatisfiable.
    pub fn resolve(self, size: u64) -> Option<Range<u64>> {
        if size == 0 {
            return None;
        }
        match self {
            ByteRange::FromTo(first, last) => (first < size).then(|| first..last.min(size - 1) + 1),
            ByteRange::From(first) => (first < size).then_some(first..size),
            ByteRange::Suffix(0) => None,
            ByteRange::Suffix(n) => Some(size.saturating_sub(n)..size),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn range_table() {
        let size = 100;
        let table: &[(&str, Option<Option<Range<u64>>>)] = &[
            ("bytes=0-9", Some(Some(0..10))),
            ("bytes=90-", Some(Some(90..100))),
            ("bytes=-10", Some(Some(90..100))),
            ("bytes=-1000", Some(Some(0..100))),
            ("bytes=95-200", Some(Some(95..100))),
            ("bytes=100-", Some(None)),
            ("bytes=100-200", Some(None)),
            ("bytes=-0", Some(None)),
            ("bytes=5-1", None),
            ("bytes=0-1,5-6", None),
            ("bytes=a-b", None),
            ("items=0-1", None),
            ("bytes=-", None),
        ];
        for (header, expected) in table {
            assert_eq!(
                ByteRange::parse(header).map(|r| r.resolve(size)),
                *expected,
                "{header}"
            );
        }
        assert_eq!(
            ByteRange::parse("bytes=0-0").and_then(|r| r.resolve(0)),
            None
        );
    }

    proptest! {
        #[test]
        fn resolved_ranges_stay_inside_the_object(header in "bytes=[0-9]{0,4}-[0-9]{0,4}", size in 0u64..5000) {
            if let Some(span) = ByteRange::parse(&header).and_then(|r| r.resolve(size)) {
                prop_assert!(span.start < span.end && span.end <= size);
            }
        }
    }
}
