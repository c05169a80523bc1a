//! XML in and out.
//!
//! Responses are written with [`XmlWriter`], a small escaping string builder: S3 responses are
//! flat and their element order is fixed by the API reference, so a builder is clearer and faster
//! than serde derive. Request bodies are parsed into a tiny element tree ([`Element`]) matched by
//! local name only: clients disagree about namespaces, quoting and element order
//! (see S3-CLIENT-NOTES: the three CompleteMultipartUpload dialects), and AWS accepts them all.

use quick_xml::events::Event;

use crate::s3::error::S3Error;

pub const S3_NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

pub struct XmlWriter {
    out: String,
}

impl XmlWriter {
    pub fn document() -> Self {
        XmlWriter {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        }
    }

    /// The root element of a response, in S3's namespace.
    pub fn root(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(" xmlns=\"");
        self.out.push_str(S3_NAMESPACE);
        self.out.push_str("\">");
    }

    pub fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    pub fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    pub fn elem(&mut self, name: &str, text: &str) {
        self.open(name);
        escape_into(&mut self.out, text);
        self.close(name);
    }

    /// Markup the caller wrote (constant attributes such as `xsi:type`); never request data.
    pub fn raw(&mut self, markup: &'static str) {
        self.out.push_str(markup);
    }

    pub fn elem_text(&mut self, text: &str) {
        escape_into(&mut self.out, text);
    }

    pub fn elem_opt(&mut self, name: &str, text: Option<&str>) {
        if let Some(text) = text {
            self.elem(name, text);
        }
    }

    pub fn finish(self) -> String {
        self.out
    }
}

pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not representable in XML 1.0 text; AWS returns them as
            // character references, which XML 1.0 parsers reject, so clients ask for
            // encoding-type=url when keys may hold them.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => {
                out.push_str(&format!("&#x{:X};", c as u32));
            }
            c => out.push(c),
        }
    }
}

/// A parsed request element: local name, concatenated text, children in document order.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

// Schema checks shared by the configuration documents (website, lifecycle, tiering): what
// AWS's XML schema refuses is MalformedXML, before any value is looked at.

/// Unknown elements do not validate against AWS's schema.
pub fn only_children(parent: &Element, allowed: &[&str]) -> Result<(), S3Error> {
    if parent
        .children
        .iter()
        .all(|c| allowed.contains(&c.name.as_str()))
    {
        Ok(())
    } else {
        Err(S3Error::malformed_xml())
    }
}

/// The child of that name; twice is a schema violation.
pub fn single<'e>(parent: &'e Element, name: &'e str) -> Result<Option<&'e Element>, S3Error> {
    let mut found = parent.children_named(name);
    let first = found.next();
    if found.next().is_some() {
        return Err(S3Error::malformed_xml());
    }
    Ok(first)
}

/// A leaf's text; a leaf with children is a schema violation.
pub fn optional_text(parent: &Element, name: &str) -> Result<Option<String>, S3Error> {
    match single(parent, name)? {
        None => Ok(None),
        Some(leaf) if leaf.children.is_empty() => Ok(Some(leaf.text.clone())),
        Some(_) => Err(S3Error::malformed_xml()),
    }
}

pub fn required_text(parent: &Element, name: &str) -> Result<String, S3Error> {
    optional_text(parent, name)?.ok_or_else(S3Error::malformed_xml)
}

/// Request bodies beyond this are refused: the largest legitimate one (DeleteObjects with 1000
/// keys of 1024 bytes, or CompleteMultipartUpload with 10000 parts) stays well under it.
pub const MAX_XML_BODY: usize = 4 * 1024 * 1024;

/// Parse a request document. Any syntax error, or a body that is not one root element, is MalformedXML.
pub fn parse(body: &[u8]) -> Result<Element, S3Error> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut buf = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|_| S3Error::malformed_xml())?;
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err(S3Error::malformed_xml());
                }
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                stack.push(Element {
                    name,
                    ..Element::default()
                });
            }
            Event::Empty(start) => {
                if root.is_some() {
                    return Err(S3Error::malformed_xml());
                }
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                let element = Element {
                    name,
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::End(_) => {
                let mut element = stack.pop().ok_or_else(S3Error::malformed_xml)?;
                if !element.children.is_empty() {
                    element.text = element.text.trim().to_string();
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::Text(text) => {
                let unescaped = text.unescape().map_err(|_| S3Error::malformed_xml())?;
                match stack.last_mut() {
                    Some(current) => current.text.push_str(&unescaped),
                    None if unescaped.trim().is_empty() => {}
                    None => return Err(S3Error::malformed_xml()),
                }
            }
            Event::CData(data) => {
                let current = stack.last_mut().ok_or_else(S3Error::malformed_xml)?;
                current.text.push_str(&String::from_utf8_lossy(&data));
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    root.ok_or_else(S3Error::malformed_xml)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_escapes_text() {
        let mut xml = XmlWriter::document();
        xml.root("R");
        xml.elem("Key", "a<b>&\"c'");
        xml.close("R");
        let out = xml.finish();
        assert!(
            out.contains("<Key>a&lt;b&gt;&amp;&quot;c&apos;</Key>"),
            "{out}"
        );
        assert!(out.contains(&format!("<R xmlns=\"{S3_NAMESPACE}\">")));
    }

    #[test]
    fn parses_by_local_name_across_dialects() {
        let boto = br#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"abc"</ETag><ChecksumCRC32>x</ChecksumCRC32><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>"#;
        let rclone = br#"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&#34;abc&#34;</ETag></Part></CompleteMultipartUpload>"#;
        let s3cmd = b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>abc</ETag></Part></CompleteMultipartUpload>";
        for doc in [&boto[..], &rclone[..], &s3cmd[..]] {
            let root = parse(doc).expect("parses");
            let part = root.child("Part").expect("part");
            assert_eq!(part.child_text("PartNumber"), Some("1"));
            assert_eq!(
                part.child_text("ETag").map(|e| e.trim_matches('"')),
                Some("abc")
            );
        }
    }

    #[test]
    fn rejects_malformed_documents() {
        for doc in [&b"<a><b></a>"[..], b"", b"<a>", b"text", b"<a/><b/>"] {
            assert_eq!(
                parse(doc).unwrap_err().code,
                "MalformedXML",
                "{}",
                String::from_utf8_lossy(doc)
            );
        }
    }
}
