//! `format.json` at the data root: the marker that the data directory was initialised, its format
//! version and the ordered list of AZ names.
//!
//! The AZ order matters: a `BlobRef` names AZs by index, so the names recorded here pin what each
//! index means. This file owns reading and writing that document and nothing else.
//! The crate's dependency set has no JSON library, and the document is tiny, so this file carries a
//! small strict JSON reader (objects, arrays, strings, numbers, literals) rather than pull one in.
//! Invariant: what [`DataFormat::to_json`] writes, [`DataFormat::from_json`] reads back unchanged.

use std::fmt::Write as _;

pub const FORMAT_FILE: &str = "format.json";
pub const DATA_FORMAT_VERSION: u64 = 1;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataFormat {
    pub format_version: u64,
    pub azs: Vec<String>,
}

impl DataFormat {
    pub fn to_json(&self) -> String {
        let mut out = format!(
            "{{\n  \"format_version\": {},\n  \"azs\": [",
            self.format_version
        );
        for (i, az) in self.azs.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write_json_string(&mut out, az);
        }
        out.push_str("]\n}\n");
        out
    }

    pub fn from_json(text: &str) -> Result<DataFormat, String> {
        let mut parser = Parser {
            bytes: text.as_bytes(),
            at: 0,
        };
        let value = parser.value()?;
        parser.skip_ws();
        if parser.at != parser.bytes.len() {
            return Err(format!("trailing characters at byte {}", parser.at));
        }
        let Json::Object(fields) = value else {
            return Err("top level is not an object".into());
        };
        let mut format_version = None;
        let mut azs = None;
        for (key, value) in fields {
            match (key.as_str(), value) {
                ("format_version", Json::Number(n)) => format_version = Some(n),
                ("azs", Json::Array(items)) => {
                    let names = items
                        .into_iter()
                        .map(|item| match item {
                            Json::String(s) => Ok(s),
                            other => Err(format!("AZ name {other:?} is not a string")),
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    azs = Some(names);
                }
                ("format_version" | "azs", other) => {
                    return Err(format!("field {key} has the wrong type: {other:?}"));
                }
                _ => {} // unknown fields: written by a newer minor version, safe to ignore
            }
        }
        Ok(DataFormat {
            format_version: format_version.ok_or("missing format_version")?,
            azs: azs.ok_or("missing azs")?,
        })
    }
}

fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[derive(Debug)]
enum Json {
    /// true, false or null: valid JSON, never meaningful in this document.
    Literal,
    Number(u64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while matches!(self.bytes.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        self.skip_ws();
        if self.bytes.get(self.at) == Some(&byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", byte as char, self.at))
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.skip_ws();
        match self.bytes.get(self.at) {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => self.string().map(Json::String),
            Some(b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            _ => Err(format!("unexpected input at byte {}", self.at)),
        }
    }

    fn literal(&mut self, word: &str) -> Result<Json, String> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(Json::Literal)
        } else {
            Err(format!("unexpected input at byte {}", self.at))
        }
    }

    /// Only non-negative integers: the document holds nothing else.
    fn number(&mut self) -> Result<Json, String> {
        let start = self.at;
        while matches!(self.bytes.get(self.at), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        std::str::from_utf8(&self.bytes[start..self.at])
            .ok()
            .and_then(|digits| digits.parse().ok())
            .map(Json::Number)
            .ok_or_else(|| format!("bad number at byte {start}"))
    }

    fn array(&mut self) -> Result<Json, String> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.at) == Some(&b']') {
            self.at += 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_ws();
            match self.bytes.get(self.at) {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(format!("expected ',' or ']' at byte {}", self.at)),
            }
        }
    }

    fn object(&mut self) -> Result<Json, String> {
        self.expect(b'{')?;
        let mut fields = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.at) == Some(&b'}') {
            self.at += 1;
            return Ok(Json::Object(fields));
        }
        loop {
            self.skip_ws();
            let key = self.string()?;
            self.expect(b':')?;
            fields.push((key, self.value()?));
            self.skip_ws();
            match self.bytes.get(self.at) {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Json::Object(fields));
                }
                _ => return Err(format!("expected ',' or '}}' at byte {}", self.at)),
            }
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            let Some(&byte) = self.bytes.get(self.at) else {
                return Err("unterminated string".into());
            };
            self.at += 1;
            match byte {
                b'"' => break,
                b'\\' => {
                    let Some(&escape) = self.bytes.get(self.at) else {
                        return Err("unterminated escape".into());
                    };
                    self.at += 1;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(format!("bad escape at byte {}", self.at)),
                    };
                    let mut utf8 = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                }
                byte => out.push(byte),
            }
        }
        String::from_utf8(out).map_err(|_| "string is not UTF-8".into())
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .bytes
            .get(self.at..self.at + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| format!("bad \\u escape at byte {}", self.at))?;
        self.at += 4;
        Ok(digits)
    }

    fn unicode_escape(&mut self) -> Result<char, String> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.bytes[self.at..].starts_with(b"\\u") {
                return Err("unpaired surrogate".into());
            }
            self.at += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err("unpaired surrogate".into());
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| "invalid code point".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_round_trips_including_odd_names() {
        let format = DataFormat {
            format_version: DATA_FORMAT_VERSION,
            azs: vec!["az-a".into(), "quote\"back\\slash".into(), "tab\t☃".into()],
        };
        assert_eq!(DataFormat::from_json(&format.to_json()), Ok(format));
    }

    #[test]
    fn hand_written_documents_parse_and_bad_ones_fail() {
        let doc = r#" { "extra": [1, true, null, {"x": "y"}], "azs" : ["a\u00e9", "\ud83d\ude00"],
                        "format_version":1 } "#;
        assert_eq!(
            DataFormat::from_json(doc),
            Ok(DataFormat {
                format_version: 1,
                azs: vec!["aé".into(), "😀".into()]
            })
        );
        for bad in [
            "",
            "[]",
            r#"{"azs": []}"#,
            r#"{"format_version": 1}"#,
            r#"{"format_version": "1", "azs": []}"#,
            r#"{"format_version": 1, "azs": [1]}"#,
            r#"{"format_version": 1, "azs": ["a"]} x"#,
            r#"{"format_version": 1, "azs": ["a]}"#,
        ] {
            assert!(DataFormat::from_json(bad).is_err(), "{bad}");
        }
    }
}
