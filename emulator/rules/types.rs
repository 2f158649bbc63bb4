//! Parsing a request's enum-valued property into the Azure enums of `domain::enums` (defined
//! there, once), with the 400 that names the property and the accepted values.

pub use crate::domain::enums::*;

use super::Violation;

/// Parses the raw string a request sent for `property` (e.g.
/// `"properties.publicNetworkAccess"`) into an enum, or refuses it with 400 `BadRequest`
/// naming the property, the value and the accepted values. `rule` is the SPEC id the caller
/// is enforcing, for the log.
pub fn parse_property<T: AzureEnum>(
    rule: &'static str,
    property: &str,
    raw: &str,
) -> Result<T, Violation> {
    T::parse_azure(raw).ok_or_else(|| {
        Violation::bad_request(
            rule,
            format!(
                "The value '{raw}' of '{property}' is not valid. Allowed values: {}.",
                T::allowed()
            ),
        )
        .with_target(property)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_property_names_property_and_values() {
        let ok: Result<AuthMode, _> = parse_property("CP-7", "properties.authMode", "key");
        assert_eq!(ok, Ok(AuthMode::Key));
        let bad: Result<PublicNetworkAccess, _> =
            parse_property("ISO-5", "properties.publicNetworkAccess", "Off");
        let v = bad.err();
        assert_eq!(
            v.as_ref().map(|v| (v.status.code(), v.code)),
            Some((400, "BadRequest"))
        );
        assert_eq!(
            v.map(|v| v.message),
            Some(
                "The value 'Off' of 'properties.publicNetworkAccess' is not valid. Allowed \
                 values: 'Enabled', 'Disabled'."
                    .to_string()
            )
        );
    }
}
