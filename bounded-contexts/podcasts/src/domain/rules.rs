//! The field rules shows and episodes share: text limits, URLs, e-mail addresses, language
//! tags and the cleaning of HTML descriptions. Pure functions; each returns the value as it is
//! stored (trimmed, normalised, cleaned) or the message of the rule it breaks.

use shared_kernel::TextRule;

/// Longest URL accepted anywhere (artwork, audio, links).
pub const MAX_URL_CHARS: usize = 2_000;
/// Longest description, in bytes once cleaned (Apple's limit for show and episode notes).
pub const MAX_DESCRIPTION_BYTES: usize = 4_000;
/// Longest description input, in characters, before cleaning: the edge's backstop for any JSON
/// string (`http_kernel::json::MAX_STRING_CHARS`), which refuses longer ones first.
pub const MAX_DESCRIPTION_INPUT_CHARS: usize = 50_000;

/// A trimmed text that keeps `rule`.
///
/// # Errors
/// The rule's message.
pub fn text(rule: TextRule, value: &str) -> Result<String, String> {
    rule.check(value).map_err(|e| e.to_string())?;
    Ok(value.trim().to_owned())
}

/// An optional text: blank counts as absent.
///
/// # Errors
/// The rule's message.
pub fn optional_text(rule: TextRule, value: Option<&str>) -> Result<Option<String>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(rule, v).map(Some),
    }
}

/// An absolute `http(s)://` URL with a host, no whitespace or control character, at most
/// [`MAX_URL_CHARS`].
///
/// # Errors
/// Why it is not one.
pub fn url(field: &str, value: &str) -> Result<String, String> {
    let value = value.trim();
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    let fine = value.chars().count() <= MAX_URL_CHARS
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && host.is_some_and(|h| !h.is_empty() && !h.starts_with(':'));
    if fine {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "{field} must be an http:// or https:// URL of at most {MAX_URL_CHARS} characters"
        ))
    }
}

/// An optional URL: blank counts as absent.
///
/// # Errors
/// As [`url`].
pub fn optional_url(field: &str, value: Option<&str>) -> Result<Option<String>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => url(field, v).map(Some),
    }
}

/// An e-mail address as feeds carry it: one `@` with text on both sides, no spaces, at most
/// 254 bytes.
///
/// # Errors
/// Why it is not one.
pub fn email(field: &str, value: &str) -> Result<String, String> {
    let value = value.trim();
    let fine = value.len() <= 254
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && value
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if fine {
        Ok(value.to_owned())
    } else {
        Err(format!("{field} must be an e-mail address"))
    }
}

/// A BCP 47 language tag, normalised (`en-gb` becomes `en-GB`).
///
/// # Errors
/// The tag is not well-formed BCP 47.
pub fn language(value: &str) -> Result<String, String> {
    oxilangtag::LanguageTag::parse_and_normalize(value.trim())
        .map(|tag| tag.into_inner())
        .map_err(|e| format!("language must be a BCP 47 tag such as en or en-GB ({e})"))
}

/// HTML cleaned of scripts, styles, event handlers and anything but formatting and links
/// (`ammonia`'s defaults), then held to [`MAX_DESCRIPTION_BYTES`]: one length rule, on the
/// cleaned text (what the feed carries), whatever the input was. The input itself is only held
/// to [`MAX_DESCRIPTION_INPUT_CHARS`] so the cleaner never runs on an unbounded text.
///
/// # Errors
/// Control characters, blank where required, or too long once cleaned.
pub fn description(value: &str, required: bool) -> Result<String, String> {
    // No minimum here: "blank" is judged on the cleaned text below (a description of only a
    // script is blank).
    TextRule::multiline("description", 0, MAX_DESCRIPTION_INPUT_CHARS)
        .check(value)
        .map_err(|e| e.to_string())?;
    let cleaned = ammonia::clean(value.trim());
    if cleaned.len() > MAX_DESCRIPTION_BYTES {
        return Err(format!(
            "description must be at most {MAX_DESCRIPTION_BYTES} bytes once cleaned, got {}",
            cleaned.len()
        ));
    }
    if required && cleaned.trim().is_empty() {
        return Err("description must not be blank".into());
    }
    Ok(cleaned)
}

/// Deserialises a field a PATCH may set to `null`: absent is `None` (unchanged), `null` is
/// `Some(None)` (cleared), a value is `Some(Some(value))`.
///
/// # Errors
/// The value is not a `T`.
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// Deserialises a required field of a PATCH: absent is `None` (unchanged); `null` is refused
/// (the edge names the field: `title: must not be null ...`), since it would otherwise read as
/// absent and answer 200 while keeping the value the client asked to remove.
///
/// # Errors
/// `null`, or the value is not a `T`.
pub fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    match <Option<T> as serde::Deserialize>::deserialize(deserializer)? {
        Some(value) => Ok(Some(value)),
        None => Err(serde::de::Error::custom(
            "must not be null: the field is required (omit it to keep its value)",
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_a_scheme_and_a_host() {
        assert!(url("u", "https://cdn.example.org/a.mp3").is_ok());
        for bad in [
            "ftp://x",
            "https://",
            "cdn.example.org",
            "https://a b",
            "javascript:x",
        ] {
            assert!(url("u", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn language_tags_are_normalised() {
        assert_eq!(language("en-gb").unwrap(), "en-GB");
        assert!(language("english please").is_err());
    }

    #[test]
    fn descriptions_lose_scripts_and_keep_formatting() {
        let cleaned = description(
            "<p onclick=\"x()\">Hi <b>there</b><script>alert(1)</script></p>",
            true,
        )
        .unwrap();
        assert_eq!(cleaned, "<p>Hi <b>there</b></p>");
        assert!(description("<script>x</script>", true).is_err());
        assert!(description(&"a".repeat(4_001), false).is_err());
    }

    #[test]
    fn the_length_rule_is_on_the_cleaned_text_only() {
        // 5,402 characters that clean to 2 bytes: accepted (it was refused before cleaning).
        let mostly_script = format!("ok{}", "<script>x</script>".repeat(300));
        assert_eq!(mostly_script.chars().count(), 5_402);
        assert_eq!(description(&mostly_script, true).unwrap(), "ok");
        // Too long once cleaned: the one message, whatever the input's length.
        for raw in [
            "a".repeat(4_001),
            format!("{}<script>x</script>", "a".repeat(5_000)),
        ] {
            let e = description(&raw, false).unwrap_err();
            assert!(
                e.starts_with("description must be at most 4000 bytes once cleaned, got "),
                "{e}"
            );
        }
    }

    #[test]
    fn emails_have_a_local_part_and_a_domain() {
        assert!(email("e", "ada@example.org").is_ok());
        assert!(email("e", "ada@localhost").is_err());
        assert!(email("e", "@example.org").is_err());
    }
}
