//! Wildcard patterns and policy variables: `*`, `?` and `${key}` in `Resource` elements and in
//! the values of string and ARN condition operators, matched against one request's values.
//!
//! Invariant: text a policy variable was substituted into is matched literally, so a request
//! value of `*` can never widen a pattern.

use super::condition::RequestKeys;

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Lit(String),
    /// `*`: any run of characters, including none.
    Star,
    /// `?`: exactly one character.
    One,
    /// `${key}` or `${key, 'default'}`; key lower-case.
    Var {
        key: String,
        default: Option<String>,
    },
}

/// A policy string as parsed once: for `StringEquals` only literals and variables, for
/// `StringLike`, `Arn*`, `Action` and `Resource` also wildcards.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pattern {
    pieces: Vec<Piece>,
}

/// A pattern with its variables substituted, borrowed from the pattern and the request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Tok<'a> {
    Lit(&'a str),
    Star,
    One,
}

impl Pattern {
    /// `variables`: substitute `${...}` (policy version 2012-10-17 only; in 2008-10-17 the text is
    /// literal). `wildcards`: `*` and `?` match; otherwise they are literal characters.
    pub(crate) fn parse(text: &str, variables: bool, wildcards: bool) -> Pattern {
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if variables
                && rest.starts_with("${")
                && let Some((var, used)) = parse_variable(rest)
            {
                match var {
                    Variable::Escape(ch) => lit.push(ch),
                    Variable::Key { key, default } => {
                        if !lit.is_empty() {
                            pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                        }
                        pieces.push(Piece::Var { key, default });
                    }
                }
                rest = rest.get(used..).unwrap_or("");
                continue;
            }
            let wild = match c {
                '*' if wildcards => Some(Piece::Star),
                '?' if wildcards => Some(Piece::One),
                _ => None,
            };
            match wild {
                Some(piece) => {
                    if !lit.is_empty() {
                        pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                    }
                    pieces.push(piece);
                }
                None => lit.push(c),
            }
            rest = &rest[c.len_utf8()..];
        }
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        Pattern { pieces }
    }

    /// Substitutes variables; `None` when one has no value (and no default): AWS then treats the
    /// value as null, which matches nothing.
    pub(super) fn resolve<'a>(&'a self, keys: &'a RequestKeys<'_>) -> Option<Vec<Tok<'a>>> {
        self.pieces
            .iter()
            .map(|piece| match piece {
                Piece::Lit(s) => Some(Tok::Lit(s)),
                Piece::Star => Some(Tok::Star),
                Piece::One => Some(Tok::One),
                Piece::Var { key, default } => {
                    keys.variable(key).or(default.as_deref()).map(Tok::Lit)
                }
            })
            .collect()
    }

    pub(super) fn has_variables(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Var { .. }))
    }

    /// No wildcard, no variable and no literal `*`/`?`: one fixed value (for `is_public`).
    pub(super) fn is_fixed(&self) -> bool {
        self.pieces.iter().all(|piece| match piece {
            Piece::Lit(s) => !s.contains(['*', '?']),
            _ => false,
        })
    }
}

enum Variable {
    Escape(char),
    Key {
        key: String,
        default: Option<String>,
    },
}

/// Parses `${...}` at the start of `s`; returns the variable and the bytes it used, or `None`
/// when the text is not a well-formed variable (it is then literal text).
fn parse_variable(s: &str) -> Option<(Variable, usize)> {
    let body = s.get(2..)?;
    for (escape, ch) in [("*}", '*'), ("?}", '?'), ("$}", '$')] {
        if body.starts_with(escape) {
            return Some((Variable::Escape(ch), 4));
        }
    }
    let key_end = body.find(['}', ','])?;
    let key = body[..key_end].trim();
    let key_ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":/_-.@+=".contains(c));
    if !key_ok {
        return None;
    }
    let key = key.to_ascii_lowercase();
    let after = &body[key_end..];
    if after.starts_with('}') {
        return Some((Variable::Key { key, default: None }, 2 + key_end + 1));
    }
    // `${key, 'default'}`: the default is quoted with `'`, a quote inside it doubled.
    let quoted = after[1..].trim_start();
    let mut chars = quoted.strip_prefix('\'')?.char_indices().peekable();
    let mut default = String::new();
    let close = loop {
        let (i, c) = chars.next()?;
        if c == '\'' {
            if chars.peek().map(|&(_, next)| next) == Some('\'') {
                chars.next();
                default.push('\'');
                continue;
            }
            break i;
        }
        default.push(c);
    };
    // Offsets: `${` + key + `,` + spaces + `'` + default body + `'`.
    let quote_start = body.len() - quoted.len();
    let tail = &body[quote_start + 1 + close + 1..];
    let trimmed = tail.trim_start();
    if !trimmed.starts_with('}') {
        return None;
    }
    let used = 2 + (body.len() - trimmed.len()) + 1;
    Some((
        Variable::Key {
            key,
            default: Some(default),
        },
        used,
    ))
}

/// `*`/`?` matching of `value` against resolved tokens; `fold_ascii` compares ASCII letters
/// case-insensitively (actions). Backtracks only to the last `*`, so it is O(len × tokens) —
/// no exponential blow-up on hostile patterns.
pub(super) fn glob(toks: &[Tok<'_>], value: &str, fold_ascii: bool) -> bool {
    glob_with(toks.len(), |i| toks[i], value, fold_ascii)
}

/// [`glob`] over `count` tokens produced on demand, so a pattern without variables is matched
/// straight from its pieces, without building a token list per request.
fn glob_with<'t>(
    count: usize,
    token: impl Fn(usize) -> Tok<'t>,
    value: &str,
    fold_ascii: bool,
) -> bool {
    let (mut t, mut v) = (0usize, 0usize);
    // After a `*`: the token index following it and the value position it has consumed up to.
    let mut star: Option<(usize, usize)> = None;
    loop {
        if t < count {
            let tok = token(t);
            let rest = value.get(v..).unwrap_or("");
            let advanced = match tok {
                Tok::Star => {
                    t += 1;
                    let Some(at) = next_candidate(&token, count, t, value, v, fold_ascii) else {
                        return false;
                    };
                    star = Some((t, at));
                    v = at;
                    continue;
                }
                Tok::One => rest.chars().next().map(char::len_utf8),
                Tok::Lit(lit) => {
                    let head = rest.as_bytes().get(..lit.len());
                    let same = match head {
                        Some(head) if fold_ascii => head.eq_ignore_ascii_case(lit.as_bytes()),
                        Some(head) => head == lit.as_bytes(),
                        None => false,
                    };
                    same.then_some(lit.len())
                }
            };
            if let Some(len) = advanced {
                t += 1;
                v += len;
                continue;
            }
        } else if v == value.len() {
            return true;
        }
        // Mismatch: let the last `*` swallow one more character and retry after it.
        let Some((after_star, consumed)) = star else {
            return false;
        };
        let Some(c) = value.get(consumed..).and_then(|r| r.chars().next()) else {
            return false;
        };
        let Some(next) = next_candidate(
            &token,
            count,
            after_star,
            value,
            consumed + c.len_utf8(),
            fold_ascii,
        ) else {
            return false;
        };
        star = Some((after_star, next));
        t = after_star;
        v = next;
    }
}

/// Where a `*` should next try to end, at or after `from`: when a literal follows it, its next
/// occurrence (found with `str::find`, instead of retrying character by character — user agents
/// are long and `*agent*` conditions common); None when it occurs nowhere, which no longer
/// match of an earlier `*` can fix.
fn next_candidate<'t>(
    token: &impl Fn(usize) -> Tok<'t>,
    count: usize,
    after_star: usize,
    value: &str,
    from: usize,
    fold_ascii: bool,
) -> Option<usize> {
    match (after_star < count).then(|| token(after_star)) {
        Some(Tok::Lit(lit)) if !fold_ascii && !lit.is_empty() => {
            value.get(from..)?.find(lit).map(|offset| from + offset)
        }
        _ => Some(from),
    }
}

/// Matches the resolved tokens in the whole of `value` (the `Resource` element, actions).
pub(crate) fn pattern_matches(
    pattern: &Pattern,
    keys: &RequestKeys<'_>,
    value: &str,
    fold: bool,
) -> bool {
    if pattern.has_variables() {
        return pattern
            .resolve(keys)
            .is_some_and(|toks| glob(&toks, value, fold));
    }
    let pieces = &pattern.pieces;
    // The shapes nearly every real policy uses (`s3:GetObject`, `s3:*`, `arn:aws:s3:::b`,
    // `arn:aws:s3:::b/*`, `*`) are one comparison, not a walk through the glob.
    let same = |a: &[u8], b: &[u8]| {
        if fold {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    match pieces.as_slice() {
        [Piece::Star] => return true,
        [Piece::Lit(lit)] => return same(lit.as_bytes(), value.as_bytes()),
        [Piece::Lit(lit), Piece::Star] => {
            return value
                .as_bytes()
                .get(..lit.len())
                .is_some_and(|head| same(head, lit.as_bytes()));
        }
        _ => {}
    }
    glob_with(
        pieces.len(),
        |i| match &pieces[i] {
            Piece::Lit(s) => Tok::Lit(s),
            Piece::Star => Tok::Star,
            Piece::One => Tok::One,
            // Unreachable: `has_variables` is false.
            Piece::Var { .. } => Tok::Lit(""),
        },
        value,
        fold,
    )
}

/// ARN condition operators: the six colon-separated parts (the last keeps any further colons)
/// are matched part by part, so a `*` never spans a `:` except inside the resource part. A value
/// or pattern with fewer than six parts is not an ARN and matches nothing.
pub(super) fn arn_matches(toks: &[Tok<'_>], value: &str) -> bool {
    let values: Vec<&str> = value.splitn(6, ':').collect();
    if values.len() != 6 {
        return false;
    }
    let mut parts: Vec<Vec<Tok<'_>>> = vec![Vec::new()];
    for tok in toks {
        match tok {
            Tok::Lit(s) => {
                let mut rest: &str = s;
                while parts.len() < 6 {
                    let Some((head, tail)) = rest.split_once(':') else {
                        break;
                    };
                    if let Some(part) = parts.last_mut() {
                        part.push(Tok::Lit(head));
                    }
                    parts.push(Vec::new());
                    rest = tail;
                }
                if let Some(part) = parts.last_mut() {
                    part.push(Tok::Lit(rest));
                }
            }
            other => {
                if let Some(part) = parts.last_mut() {
                    part.push(*other);
                }
            }
        }
    }
    parts.len() == 6
        && parts
            .iter()
            .zip(&values)
            .all(|(part, value)| glob(part, value, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::ConditionContext;

    /// Tokens of a pattern without variables.
    fn toks(p: &Pattern) -> Vec<Tok<'_>> {
        p.pieces
            .iter()
            .map(|piece| match piece {
                Piece::Lit(s) => Tok::Lit(s),
                Piece::Star => Tok::Star,
                Piece::One => Tok::One,
                Piece::Var { .. } => panic!("variable in {p:?}"),
            })
            .collect()
    }

    #[test]
    fn glob_table() {
        let table = [
            ("*", "", true),
            ("*", "anything/at:all", true),
            ("a*", "a", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a?c", "aéc", true),
            (
                "*a*a*a*a*b",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                false,
            ),
            ("*.txt", "x.txt.bak", false),
            ("**", "x", true),
            ("abc", "abcd", false),
        ];
        for (pattern, value, want) in table {
            let p = Pattern::parse(pattern, false, true);
            assert_eq!(glob(&toks(&p), value, false), want, "{pattern} vs {value}");
        }
    }

    /// The obvious recursive definition of `*`/`?` matching, exponential but fine for short input.
    fn reference(pattern: &[char], value: &[char]) -> bool {
        match pattern.split_first() {
            None => value.is_empty(),
            Some(('*', rest)) => (0..=value.len()).any(|i| reference(rest, &value[i..])),
            Some(('?', rest)) => !value.is_empty() && reference(rest, &value[1..]),
            Some((c, rest)) => value.first() == Some(c) && reference(rest, &value[1..]),
        }
    }

    proptest::proptest! {
        /// The one-comparison shapes of `pattern_matches` agree with the glob walk.
        #[test]
        fn pattern_shortcuts_agree_with_the_glob(
            pattern in "([aB:/]{0,4}\\*?|\\*)",
            value in "[abAB:/]{0,6}",
            fold in proptest::bool::ANY,
        ) {
            let p = Pattern::parse(&pattern, false, true);
            let context = ConditionContext::default();
            let keys = RequestKeys::new(&context, Vec::new());
            proptest::prop_assert_eq!(
                pattern_matches(&p, &keys, &value, fold),
                glob(&toks(&p), &value, fold)
            );
        }

        #[test]
        fn glob_agrees_with_the_reference(pattern in "[ab*?é]{0,8}", value in "[abé]{0,10}") {
            let p = Pattern::parse(&pattern, false, true);
            let chars = |s: &str| s.chars().collect::<Vec<_>>();
            proptest::prop_assert_eq!(
                glob(&toks(&p), &value, false),
                reference(&chars(&pattern), &chars(&value))
            );
        }
    }

    #[test]
    fn variable_syntax() {
        let p = Pattern::parse(
            "a/${aws:username}/${*}${?}${$}/${x:y, 'd''q'}/${bad key}",
            true,
            true,
        );
        assert_eq!(
            p.pieces,
            vec![
                Piece::Lit("a/".into()),
                Piece::Var {
                    key: "aws:username".into(),
                    default: None
                },
                Piece::Lit("/*?$/".into()),
                Piece::Var {
                    key: "x:y".into(),
                    default: Some("d'q".into())
                },
                Piece::Lit("/${bad key}".into()),
            ]
        );
        // Unterminated forms stay literal.
        for text in [
            "${aws:username",
            "${x, 'open}",
            "${x, nope}",
            "${}",
            "${x, 'a' b}",
        ] {
            let p = Pattern::parse(text, true, false);
            assert_eq!(p.pieces, vec![Piece::Lit(text.into())], "{text}");
        }
    }
}
