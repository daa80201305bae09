//! JSON strings written fast: every refresh answers with a token of several hundred bytes that
//! needs no escaping (base64url and dots). Such a string is copied whole between quotes after one
//! check that vectorizes, instead of being scanned a byte at a time as `serde_json` does; a string
//! that does need escaping is written by `serde_json`, so the output is always byte for byte what
//! `serde_json` writes.

/// Appends `text` to `out` as a JSON string, exactly as `serde_json` writes it.
pub fn write_json_string(out: &mut Vec<u8>, text: &str) -> serde_json::Result<()> {
    if needs_escaping(text) {
        return serde_json::to_writer(out, text);
    }
    out.push(b'"');
    out.extend_from_slice(text.as_bytes());
    out.push(b'"');
    Ok(())
}

/// Whether JSON needs `text` escaped inside a string: a quote, a backslash or a control character
/// (RFC 8259 §7, and exactly the bytes `serde_json` escapes).
#[allow(
    clippy::needless_bitwise_bool,
    reason = "branch-free on purpose, so that it vectorizes"
)]
fn needs_escaping(text: &str) -> bool {
    text.bytes().fold(false, |found, byte| {
        found | (byte < 0x20) | (byte == b'"') | (byte == b'\\')
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn written(text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        write_json_string(&mut out, text).unwrap();
        out
    }

    #[test]
    fn every_character_of_the_first_two_planes_is_written_as_serde_writes_it() {
        for character in (0..0x1_0000).filter_map(char::from_u32) {
            let text = format!("a{character}b");
            assert_eq!(
                written(&text),
                serde_json::to_vec(&text).unwrap(),
                "{character:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn any_string_is_written_as_serde_writes_it(text in "\\PC*|[\\x00-\\x7f]{0,40}") {
            prop_assert_eq!(written(&text), serde_json::to_vec(&text).unwrap());
        }
    }
}
