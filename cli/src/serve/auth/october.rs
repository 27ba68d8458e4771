//! Credentials of the October 2025 profile (docs/protocol.md §6): the env-tagged
//! subprotocols `jwt.<env>.<JWT>`, `jwt-auth.<env>.<JWT>` and `bearer.<env>.<JWT>`, the raw-JWT
//! forms `staging-auth.<JWT>`, `jwt.<JWT>`, `jwt-auth.<JWT>` and `bearer.<JWT>`, the query
//! fallback `?token=<JWT>&env=<env>`, and the `X-Environment` header; and whether a client
//! speaks that profile at all.
//!
//! Decisions (also in README.md, "The October 2025 profile"):
//! * an env tag must be one of `development`, `local`, `staging`, `production`. An entry with
//!   another tag (`jwt.qa.<JWT>`) carries no token: October negotiation skips it (the client's
//!   untagged entries that follow still authenticate), and it is no October signal;
//! * `X-Environment` and `env=` are October signals whatever their (non-empty) value: they have
//!   no other meaning, and the simulated manager serves one environment anyway;
//! * `?token=` is read only in October sessions (main mode at aebb16f77 never reads it).

use agentwire::token::Environment;

use super::{MIN_TOKEN_SUFFIX, Negotiation, token_from_suffix};

/// Prefixes whose entries may carry `<env>.<JWT>`.
const ENV_TAGGED_PREFIXES: [&str; 3] = ["jwt.", "jwt-auth.", "bearer."];

/// Prefixes of entries that carry a JWT in October negotiation (raw, or base64url as §1).
const TOKEN_PREFIXES: [&str; 4] = ["jwt.", "jwt-auth.", "bearer.", "staging-auth."];

/// What an upgrade request says about the profile its client speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ClientSignals<'a> {
    /// The `Sec-WebSocket-Protocol` list, its lines joined by commas.
    pub(crate) offered: Option<&'a str>,
    /// The `X-Environment` header.
    pub(crate) environment_header: Option<&'a str>,
    /// The `env` query parameter.
    pub(crate) query_env: Option<&'a str>,
}

impl ClientSignals<'_> {
    /// Whether the client speaks the October profile: it offers an env-tagged subprotocol with a
    /// known environment, or sends a non-blank `X-Environment` header or `env=` parameter.
    pub(crate) fn speak_october(&self) -> bool {
        let named = |value: Option<&str>| value.is_some_and(|value| !value.trim().is_empty());
        named(self.environment_header)
            || named(self.query_env)
            || entries(self.offered.unwrap_or_default()).any(|entry| env_tagged(entry).is_some())
    }
}

/// The comma-separated entries of a subprotocol list, trimmed, blanks left out.
fn entries(header: &str) -> impl Iterator<Item = &str> {
    header.split(',').map(str::trim).filter(|entry| !entry.is_empty())
}

/// An env-tagged entry's environment and JWT: `<prefix><env>.<a>.<b>.<c>` with a known `env`
/// and three non-empty JWT parts (exactly four dot-separated parts after the prefix).
pub(crate) fn env_tagged(entry: &str) -> Option<(&str, &str)> {
    let rest = ENV_TAGGED_PREFIXES.iter().find_map(|prefix| entry.strip_prefix(prefix))?;
    let (env, token) = rest.split_once('.')?;
    let parts: Vec<&str> = token.split('.').collect();
    // The environments are the SDK's (`development`, `local`, `staging`, `production`).
    (env.parse::<Environment>().is_ok()
        && parts.len() == 3
        && parts.iter().all(|part| !part.is_empty()))
    .then_some((env, token))
}

/// Negotiates a subprotocol for an October session: the first entry, in the client's order,
/// that carries a JWT is echoed verbatim with its JWT: an env-tagged entry, or a `jwt.`,
/// `jwt-auth.`, `bearer.` or `staging-auth.` entry whose suffix is a JWT (raw or base64url, at
/// least 10 chars). Entries carrying none (an unknown env tag, a malformed suffix) are skipped.
/// When no entry carries a JWT, the September rules decide ([`super::negotiate`]): so a
/// malformed list is echoed and then refused by authentication (1008), or refused before the
/// upgrade, exactly as in September.
pub(crate) fn negotiate_october(header: Option<&str>) -> Negotiation {
    let Some(offered) = header.filter(|value| !value.trim().is_empty()) else {
        return Negotiation::NoHeader;
    };
    for entry in entries(offered) {
        if let Some((_, token)) = env_tagged(entry) {
            return Negotiation::Selected {
                protocol: entry.to_owned(),
                token: Some(token.to_owned()),
            };
        }
        let suffix = TOKEN_PREFIXES.iter().find_map(|prefix| entry.strip_prefix(prefix));
        let token = suffix
            .filter(|suffix| suffix.chars().count() >= MIN_TOKEN_SUFFIX)
            .and_then(token_from_suffix);
        if let Some(token) = token {
            return Negotiation::Selected { protocol: entry.to_owned(), token: Some(token) };
        }
    }
    super::negotiate(header)
}

/// The value of the first `name=` parameter of a raw query string, when not empty. Values are
/// taken as they are, not percent-decoded: a JWT and an environment name need no escaping.
pub(crate) fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::super::{Claims, mint, negotiate, verify};
    use super::*;
    use agentwire::token::subprotocols;

    const SECRET: &[u8] = b"test-secret";
    const NOW: u64 = 1_758_207_374;

    fn token(sub: &str) -> String {
        mint(SECRET, &Claims { sub: sub.into(), exp: Some(NOW + 60), iat: None, nbf: None })
            .unwrap()
    }

    /// The list the October CLI client offers, in its order.
    fn october_list(env: &str, jwt: &str) -> Vec<String> {
        vec![
            format!("jwt.{env}.{jwt}"),
            format!("jwt-auth.{env}.{jwt}"),
            format!("bearer.{env}.{jwt}"),
            format!("staging-auth.{jwt}"),
            format!("jwt.{jwt}"),
            format!("jwt-auth.{jwt}"),
            format!("bearer.{jwt}"),
        ]
    }

    #[test]
    fn the_whole_october_list_selects_its_first_entry_and_its_raw_jwt() {
        let jwt = token("oct-user");
        for env in Environment::ALL.map(Environment::name) {
            let list = october_list(env, &jwt);
            let Negotiation::Selected { protocol, token: Some(found) } =
                negotiate_october(Some(&list.join(", ")))
            else {
                panic!("not selected")
            };
            assert_eq!(protocol, list[0]);
            assert_eq!(verify(SECRET, &found, NOW).unwrap().sub, "oct-user");
        }
    }

    #[test]
    fn each_october_form_alone_is_accepted_with_its_jwt() {
        let jwt = token("u");
        for entry in october_list("staging", &jwt) {
            assert_eq!(
                negotiate_october(Some(&entry)),
                Negotiation::Selected { protocol: entry.clone(), token: Some(jwt.clone()) },
                "{entry}"
            );
        }
    }

    #[test]
    fn the_browser_list_is_accepted_in_october_too() {
        let jwt = token("browser");
        let [plain, bearing] = subprotocols(&jwt);
        assert_eq!(
            negotiate_october(Some(&format!("{plain}, {bearing}"))),
            Negotiation::Selected { protocol: bearing, token: Some(jwt) }
        );
    }

    #[test]
    fn an_unknown_env_tag_is_skipped_and_the_next_entry_wins() {
        let jwt = token("u");
        let header = format!("jwt.qa.{jwt}, jwt-auth.qa.{jwt}, staging-auth.{jwt}");
        assert_eq!(
            negotiate_october(Some(&header)),
            Negotiation::Selected { protocol: format!("staging-auth.{jwt}"), token: Some(jwt) }
        );
        assert_eq!(env_tagged(&format!("jwt.qa.{}", token("u"))), None);
    }

    #[test]
    fn malformed_entries_fall_back_to_the_september_rules() {
        // An env tag with two JWT parts (read as a raw three-part "JWT" that fails verification),
        // an empty part, a short suffix: the September rules echo the entry, and authentication
        // then refuses the connection (AUTH_FAILED, 1008).
        for header in ["jwt.staging.a.b", "jwt.staging.a..c", "jwt.production", "jwt.abc"] {
            assert_eq!(negotiate_october(Some(header)), negotiate(Some(header)), "{header}");
            let Negotiation::Selected { protocol, token } = negotiate_october(Some(header)) else {
                panic!("{header} not echoed")
            };
            assert_eq!(protocol, header);
            let jwt = token.unwrap_or_default();
            assert!(verify(SECRET, &jwt, NOW).is_err(), "{header}");
        }
        assert_eq!(negotiate_october(Some("compression-gzip")), Negotiation::Unsupported);
        assert_eq!(negotiate_october(Some(" ")), Negotiation::NoHeader);
        assert_eq!(negotiate_october(None), Negotiation::NoHeader);
    }

    #[test]
    fn september_negotiation_of_an_env_tagged_entry_carries_no_token() {
        let jwt = token("u");
        let entry = format!("jwt.staging.{jwt}");
        assert_eq!(negotiate(Some(&entry)), Negotiation::Selected { protocol: entry, token: None });
    }

    #[test]
    fn october_is_recognised_by_an_env_tag_the_environment_header_or_the_env_parameter() {
        let jwt = token("u");
        let tagged = october_list("development", &jwt).join(",");
        let september = subprotocols(&jwt).join(",");
        let unknown = format!("jwt.qa.{jwt}");
        let signals = |offered, header, query| ClientSignals {
            offered,
            environment_header: header,
            query_env: query,
        };
        assert!(signals(Some(tagged.as_str()), None, None).speak_october());
        assert!(signals(None, Some("staging"), None).speak_october());
        assert!(signals(None, None, Some("production")).speak_october());
        assert!(!signals(Some(september.as_str()), None, None).speak_october());
        assert!(!signals(Some(unknown.as_str()), None, None).speak_october());
        assert!(!signals(None, Some("  "), Some("")).speak_october());
        assert!(!ClientSignals::default().speak_october());
    }

    #[test]
    fn query_param_reads_the_first_non_empty_value() {
        assert_eq!(query_param("token=a.b.c&env=staging", "token"), Some("a.b.c"));
        assert_eq!(query_param("token=a.b.c&env=staging", "env"), Some("staging"));
        assert_eq!(query_param("env=&token=x", "env"), None);
        assert_eq!(query_param("mode=main", "token"), None);
        assert_eq!(query_param("", "token"), None);
        assert_eq!(query_param("tokens=x&token=y", "token"), Some("y"));
    }
}
