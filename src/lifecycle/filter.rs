//! What lifecycle rule filters and Intelligent-Tiering filters share: the grammar of a
//! `<Filter>` element (empty, one predicate, or `<And>` holding at least two), its `Tag`
//! predicates, the prefix-and-tags match, and the rendering of those predicates.

use crate::s3::error::S3Error;
use crate::s3::xml::{Element, XmlWriter, only_children, required_text};

/// Where a `<Filter>`'s predicates are.
pub enum Predicates<'e> {
    /// `<Filter/>`.
    Empty,
    /// One predicate directly in the filter: its element name, and the filter (which holds it).
    Single(&'e str, &'e Element),
    /// `<And>`, which holds them.
    And(&'e Element),
}

/// Checks `filter` against the grammar with `names` the predicates it allows (`And` besides):
/// anything else, two predicates outside `<And>`, or fewer than two inside, is MalformedXML.
pub fn predicates<'e>(filter: &'e Element, names: &[&str]) -> Result<Predicates<'e>, S3Error> {
    let mut allowed = names.to_vec();
    allowed.push("And");
    only_children(filter, &allowed)?;
    if filter.children.len() > 1 {
        return Err(S3Error::malformed_xml());
    }
    let Some(predicate) = filter.children.first() else {
        return Ok(Predicates::Empty);
    };
    if predicate.name != "And" {
        return Ok(Predicates::Single(predicate.name.as_str(), filter));
    }
    only_children(predicate, names)?;
    if predicate.children.len() < 2 {
        return Err(S3Error::malformed_xml());
    }
    Ok(Predicates::And(predicate))
}

/// The `<Tag><Key/><Value/></Tag>` predicates `holder` holds, in document order.
pub fn tags(holder: &Element) -> Result<Vec<(String, String)>, S3Error> {
    holder
        .children_named("Tag")
        .map(|tag| {
            only_children(tag, &["Key", "Value"])?;
            Ok((required_text(tag, "Key")?, required_text(tag, "Value")?))
        })
        .collect()
}

/// Whether an object with `key` and `object_tags` has `prefix` (when there is one) and every
/// tag `wanted`.
pub fn matches(
    prefix: Option<&str>,
    wanted: &[(String, String)],
    key: &str,
    object_tags: &[(String, String)],
) -> bool {
    prefix.is_none_or(|prefix| key.starts_with(prefix))
        && wanted
            .iter()
            .all(|wanted| object_tags.iter().any(|tag| tag == wanted))
}

/// `<Prefix>` (when there is one) and a `<Tag>` per tag, as the filter element's content.
pub fn render_prefix_and_tags(
    out: &mut XmlWriter,
    prefix: Option<&str>,
    tags: &[(String, String)],
) {
    out.elem_opt("Prefix", prefix);
    for (key, value) in tags {
        out.open("Tag");
        out.elem("Key", key);
        out.elem("Value", value);
        out.close("Tag");
    }
}
