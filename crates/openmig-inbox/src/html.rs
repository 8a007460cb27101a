//! Narrative (XHTML `div`s, HTML attachments) to plain text for the practice's list.
//!
//! Not an HTML parser: it drops tags, keeps line structure for block elements, drops
//! the content of `script` and `style`, and decodes the entities narrative uses. The
//! stored document keeps the original markup; this text is only for reading.

/// Plain text of `markup`: one line per block element, runs of blanks collapsed, blank
/// lines dropped.
pub(crate) fn to_text(markup: &str) -> String {
    let mut raw = String::with_capacity(markup.len());
    let mut rest = markup;
    while let Some(start) = rest.find('<') {
        raw.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let opens_tag = after.starts_with(|c: char| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        let end = after.find('>').filter(|_| opens_tag);
        let Some(end) = end else {
            // A '<' that does not open a tag is text.
            raw.push('<');
            rest = after;
            continue;
        };
        let tag = &after[..end];
        rest = &after[end + 1..];
        let name = tag_name(tag);
        if matches!(name.as_str(), "script" | "style") && !tag.starts_with('/') && !tag.ends_with('/') {
            // Skip to the closing tag, whatever is inside.
            let closing = format!("</{name}");
            match find_ignore_case(rest, &closing) {
                Some(at) => {
                    rest = &rest[at..];
                    if let Some(close) = rest.find('>') {
                        rest = &rest[close + 1..];
                    }
                }
                None => rest = "",
            }
            continue;
        }
        if is_block(&name) {
            raw.push('\n');
        } else if name == "td" || name == "th" {
            raw.push(' ');
        }
    }
    raw.push_str(rest);
    let decoded = decode_entities(&raw);
    decoded
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn tag_name(tag: &str) -> String {
    tag.trim_start_matches('/')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "br" | "p"
            | "div"
            | "li"
            | "ul"
            | "ol"
            | "tr"
            | "table"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "pre"
            | "blockquote"
            | "dt"
            | "dd"
            | "hr"
            | "section"
            | "thead"
            | "tbody"
            | "caption"
    )
}

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    let lower = haystack.to_ascii_lowercase();
    lower.find(&needle.to_ascii_lowercase())
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let entity_end = after.find(';').filter(|&end| end <= 10);
        let decoded = entity_end.and_then(|end| entity(&after[..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code).filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_elements_become_lines_and_entities_are_decoded() {
        let div = "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Seen in A&amp;E after a fall.</p>\
                   <ul><li>Atrial   fibrillation</li><li>BP 150&#47;90 &gt; target</li></ul>No fracture<br/>Home</div>";
        assert_eq!(
            to_text(div),
            "Seen in A&E after a fall.\nAtrial fibrillation\nBP 150/90 > target\nNo fracture\nHome"
        );
    }

    #[test]
    fn scripts_styles_and_stray_brackets_are_handled() {
        let html = "<html><head><style>p { color: red }</style><script>alert('x')</script></head>\
                    <body><p>a < b &unknown; c</p></body></html>";
        assert_eq!(to_text(html), "a < b &unknown; c");
    }
}
