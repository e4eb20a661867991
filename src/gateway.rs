//! `agora gateway-config`: the nginx configuration of a gateway in front of one process (or
//! more) per context, generated from the context registry ([`crate::contexts::ALL`]), so the
//! routes a context declares there are the only source of which context owns which path.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::str::FromStr;

use clap::Args;

use crate::contexts::{ALL, Registration};

/// Paths every process serves whatever its contexts (the operations routes): the gateway
/// sends them to any instance. (`/api/v1/openapi.json` there describes the answering
/// process's contexts only.)
pub const ANY_INSTANCE: &[&str] = &["/api/v1/commands", "/api/v1/openapi.json", "/docs"];

/// The problem codes the gateway itself answers, by status.
pub const PROBLEMS: &[(u16, &str, &str)] = &[
    (404, "not_found", "Not Found"),
    (502, "gateway_bad_gateway", "Bad Gateway"),
    (503, "gateway_unavailable", "Service Unavailable"),
    (504, "gateway_timeout", "Gateway Timeout"),
];

/// `agora gateway-config`: where each context's processes listen, and how the gateway runs.
#[derive(Debug, Clone, Args)]
pub struct GatewayArgs {
    /// `<context>=<host:port>`: an instance of a context (repeat the option for a second
    /// instance of the same context). Every context needs at least one.
    #[arg(long = "upstream", value_name = "CONTEXT=HOST:PORT", required = true)]
    pub upstreams: Vec<Upstream>,
    /// What the gateway listens on (nginx `listen`: a port or `address:port`).
    #[arg(long, default_value = "8080", value_parser = listen_arg)]
    pub listen: String,
    /// Passive health: failed attempts (within `--fail-timeout`) after which an instance is
    /// left out for `--fail-timeout` seconds.
    #[arg(long, default_value_t = 1)]
    pub max_fails: u32,
    /// Passive health window and pause, in seconds.
    #[arg(long, default_value_t = 10)]
    pub fail_timeout: u32,
    /// How long the gateway waits for an answer, in seconds (live streams wait an hour).
    #[arg(long, default_value_t = 60)]
    pub read_timeout: u32,
    /// A directory for nginx's pid file, logs and temporary files (nginx run by a user in a
    /// scratch prefix); unset, nginx's defaults, logs to stderr/stdout (a container).
    #[arg(long, value_parser = runtime_dir_arg)]
    pub runtime_dir: Option<PathBuf>,
}

/// Whether `c` may appear in a value written into the configuration unquoted: nothing that
/// ends a directive (`;`), opens a block, starts a comment or a variable, or splits a word.
fn plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._[]:/".contains(c)
}

/// `--listen`: a port, or `address:port` (IPv6 in brackets), nothing else.
fn listen_arg(text: &str) -> Result<String, String> {
    let port = text.rsplit_once(':').map_or(text, |(_, p)| p);
    match port.parse::<u16>() {
        Ok(p) if p > 0 && text.chars().all(plain) && !text.contains('/') => Ok(text.to_owned()),
        _ => Err(format!(
            "`{text}` is not a port (1-65535) or <address>:<port>"
        )),
    }
}

/// `--runtime-dir`: an absolute path of plain characters (it is written unquoted, and nginx
/// resolves a relative one against its own prefix, not the current directory).
fn runtime_dir_arg(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    if !path.is_absolute() {
        return Err(format!("`{text}` is not an absolute path"));
    }
    if !text.chars().all(plain) {
        return Err(format!(
            "`{text}` holds a character nginx would read as syntax (only letters, digits and \
             - . _ / are allowed)"
        ));
    }
    Ok(path)
}

/// One instance of a context: `<context>=<host:port>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// The context's name, as in `--contexts`.
    pub context: String,
    /// Where the instance listens.
    pub address: String,
}

/// Why an `--upstream` or the set of them is unusable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GatewayError {
    /// Not `<context>=<host:port>`.
    #[error("`{0}` is not <context>=<host:port>")]
    Malformed(String),
    /// A name the registry does not know.
    #[error("unknown context `{0}` (known: {known})", known = crate::contexts::names().join(", "))]
    UnknownContext(String),
    /// A port that is not 1-65535.
    #[error("the port of `{0}` is not 1-65535")]
    Port(String),
    /// The same instance given twice (it would get twice the share of requests).
    #[error("--upstream `{0}` is given twice")]
    Duplicate(String),
    /// Contexts nothing serves: their routes would have nowhere to go.
    #[error("no --upstream for {0} (every context needs an instance)")]
    Missing(String),
}

impl FromStr for Upstream {
    type Err = GatewayError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || GatewayError::Malformed(s.to_owned());
        let (context, address) = s.split_once('=').ok_or_else(malformed)?;
        // The address goes into the configuration verbatim: nothing that could end a directive.
        let (host, port) = address.rsplit_once(':').ok_or_else(malformed)?;
        let clean = |c: char| c.is_ascii_alphanumeric() || "-._[]:".contains(c);
        if host.is_empty() || !host.chars().all(clean) || port.is_empty() {
            return Err(malformed());
        }
        if !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        if port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(GatewayError::Port(s.to_owned()));
        }
        if !crate::contexts::names().contains(&context) {
            return Err(GatewayError::UnknownContext(context.to_owned()));
        }
        Ok(Self {
            context: context.to_owned(),
            address: address.to_owned(),
        })
    }
}

/// The nginx configuration for `args`.
///
/// # Errors
/// A context has no upstream.
pub fn config(args: &GatewayArgs) -> Result<String, GatewayError> {
    let missing: Vec<_> = ALL
        .iter()
        .filter(|r| !args.upstreams.iter().any(|u| u.context == r.name))
        .map(|r| r.name)
        .collect();
    if !missing.is_empty() {
        return Err(GatewayError::Missing(missing.join(", ")));
    }
    for (i, u) in args.upstreams.iter().enumerate() {
        if args.upstreams[..i].contains(u) {
            return Err(GatewayError::Duplicate(format!(
                "{}={}",
                u.context, u.address
            )));
        }
    }
    let mut out = String::new();
    header(&mut out, args);
    for registration in ALL {
        upstream(&mut out, args, registration.name, |u| {
            u.context == registration.name
        });
    }
    upstream(&mut out, args, "any", |_| true);
    server(&mut out, args);
    Ok(out)
}

/// The process-wide part: where nginx keeps its files, and the request id it forwards.
fn header(out: &mut String, args: &GatewayArgs) {
    out.push_str(
        "# Generated by `agora gateway-config` from the context registry (src/contexts.rs):\n\
         # regenerate it rather than editing it.\n\
         worker_processes auto;\n\
         worker_rlimit_nofile 16384;\n\
         daemon off;\n",
    );
    match &args.runtime_dir {
        Some(dir) => {
            let dir = dir.display();
            let _ = writeln!(out, "pid {dir}/nginx.pid;\nerror_log {dir}/error.log info;");
        }
        None => out.push_str("error_log stderr warn;\n"),
    }
    // Each proxied request holds two connections (client and upstream): nginx's default of
    // 1024 per worker ran out under the soak (issue 23; 500 answers and "worker_connections are
    // not enough").
    out.push_str("\nevents {\n    worker_connections 8192;\n}\n\nhttp {\n");
    match &args.runtime_dir {
        Some(dir) => {
            let dir = dir.display();
            let _ = writeln!(out, "    access_log {dir}/access.log;");
            for kind in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"] {
                let _ = writeln!(out, "    {kind}_temp_path {dir}/{kind}_temp;");
            }
        }
        None => out.push_str("    access_log /dev/stdout;\n"),
    }
    out.push_str(
        "    # The client's request id when it sends one, else nginx's own: forwarded to the\n\
         \x20   # context and answered to the client, so both logs tell the same request.\n\
         \x20   map $http_x_request_id $agora_request_id {\n\
         \x20       default $http_x_request_id;\n\
         \x20       \"\" $request_id;\n\
         \x20   }\n\
         \x20   # Bodies are checked by the contexts (an episode's audio is large).\n\
         \x20   client_max_body_size 0;\n\n",
    );
}

/// One `upstream` block: the instances `pick` selects, with passive health checks.
fn upstream(out: &mut String, args: &GatewayArgs, name: &str, pick: impl Fn(&Upstream) -> bool) {
    let _ = writeln!(out, "    upstream agora_{name} {{");
    for u in args.upstreams.iter().filter(|u| pick(u)) {
        let _ = writeln!(
            out,
            "        server {} max_fails={} fail_timeout={}s;",
            u.address, args.max_fails, args.fail_timeout
        );
    }
    out.push_str("        keepalive 16;\n    }\n\n");
}

/// The server: a location per route of every context, the gateway's own answers.
fn server(out: &mut String, args: &GatewayArgs) {
    let _ = writeln!(out, "    server {{\n        listen {};", args.listen);
    out.push_str(
        "        add_header X-Request-Id $agora_request_id always;\n\
         \x20       error_page 502 @bad_gateway;\n\
         \x20       error_page 503 @unavailable;\n\
         \x20       error_page 504 @gateway_timeout;\n\n",
    );
    for registration in ALL {
        routes(out, args, registration);
    }
    for path in ANY_INSTANCE {
        location(out, args, path, "any", false);
    }
    out.push_str(
        "        # The gateway's own liveness (each process answers its /healthz and /readyz).\n\
         \x20       location = /healthz {\n\
         \x20           default_type text/plain;\n\
         \x20           return 200 \"ok\\n\";\n\
         \x20       }\n",
    );
    for (status, code, title) in PROBLEMS {
        let name = match *status {
            404 => "/",
            502 => "@bad_gateway",
            503 => "@unavailable",
            _ => "@gateway_timeout",
        };
        let detail = match *status {
            404 => "no context serves this path",
            502 => "the context serving this path did not answer",
            503 => "no instance of the context serving this path is available",
            _ => "the context serving this path did not answer in time",
        };
        let _ = writeln!(
            out,
            "        location {name} {{\n\
             \x20           default_type application/problem+json;\n\
             \x20           return {status} '{{\"type\":\"https://agora.example/problems/{code}\",\"title\":\"{title}\",\"status\":{status},\"code\":\"{code}\",\"detail\":\"{detail}\"}}\\n';\n\
             \x20       }}"
        );
    }
    out.push_str("    }\n}\n");
}

/// The locations of one context's routes.
fn routes(out: &mut String, args: &GatewayArgs, registration: &Registration) {
    let _ = writeln!(out, "        # {}", registration.name);
    for route in registration.routes.iter().chain(registration.live) {
        let live = registration.live.contains(route);
        location(out, args, route, registration.name, live);
    }
}

/// The location(s) of one route: a plain prefix as itself and its subtree (`= /p` and
/// `/p/`, so `/api/v1/me` does not take `/api/v1/messages`); one with a `{..}` segment as a
/// regular expression (nginx tries those before plain prefixes: the more specific route).
fn location(out: &mut String, args: &GatewayArgs, route: &str, upstream: &str, live: bool) {
    let matchers = if route.contains('{') {
        vec![format!("~ ^{}(/|$)", regex(route))]
    } else {
        vec![format!("= {route}"), format!("{route}/")]
    };
    for matcher in matchers {
        let _ = writeln!(out, "        location {matcher} {{");
        let _ = writeln!(out, "            proxy_pass http://agora_{upstream};");
        out.push_str(
            "            proxy_http_version 1.1;\n\
             \x20           proxy_set_header Connection \"\";\n\
             \x20           proxy_set_header Host $host;\n\
             \x20           proxy_set_header X-Request-Id $agora_request_id;\n\
             \x20           proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
             \x20           proxy_set_header X-Forwarded-Proto $scheme;\n\
             \x20           proxy_connect_timeout 5s;\n\
             \x20           proxy_next_upstream error timeout;\n",
        );
        if live {
            // Server-sent events: each one to the client as it comes, for as long as it lasts.
            out.push_str(
                "            proxy_buffering off;\n\
                 \x20           proxy_read_timeout 1h;\n",
            );
        } else {
            let _ = writeln!(
                out,
                "            proxy_read_timeout {}s;",
                args.read_timeout
            );
        }
        out.push_str("        }\n");
    }
}

/// A route as a regular expression: `{..}` segments match one segment, the rest literally.
pub(crate) fn regex(route: &str) -> String {
    route
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "[^/]+".to_owned()
            } else {
                segment
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                            c.to_string()
                        } else {
                            format!("\\{c}")
                        }
                    })
                    .collect()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_with_a_segment_is_a_regular_expression() {
        assert_eq!(
            regex("/api/v1/products/{id}/also-bought"),
            "/api/v1/products/[^/]+/also-bought"
        );
        assert_eq!(regex("/a/b.opml"), "/a/b\\.opml");
    }

    #[test]
    fn an_upstream_is_a_known_context_and_an_address() {
        let u: Upstream = "identity=127.0.0.1:8081".parse().unwrap();
        assert_eq!(u.address, "127.0.0.1:8081");
        assert!(matches!(
            "nobody=127.0.0.1:1".parse::<Upstream>(),
            Err(GatewayError::UnknownContext(_))
        ));
        for bad in [
            "identity",
            "identity=host",
            "identity=h;x:1",
            "identity=h:99999",
        ] {
            assert!(bad.parse::<Upstream>().is_err(), "{bad}");
        }
        // The real cause, not "malformed" (found by a tester).
        assert_eq!(
            "identity=notahost:99999".parse::<Upstream>(),
            Err(GatewayError::Port("identity=notahost:99999".into()))
        );
    }

    /// Found by a tester: `--listen 'bogus; include /etc/passwd'` was written into the
    /// configuration as it was, and `--runtime-dir 'relative dir'` gave a line nginx cannot
    /// parse; the same upstream twice was listed twice.
    #[test]
    fn arguments_cannot_inject_configuration() {
        assert_eq!(listen_arg("8080").unwrap(), "8080");
        assert_eq!(listen_arg("127.0.0.1:8080").unwrap(), "127.0.0.1:8080");
        assert_eq!(listen_arg("[::1]:8080").unwrap(), "[::1]:8080");
        for bad in [
            "bogus; include /etc/passwd",
            "0",
            "70000",
            "a b:80",
            "x:80;",
            "",
        ] {
            assert!(listen_arg(bad).is_err(), "{bad}");
        }
        assert!(runtime_dir_arg("/tmp/gw").is_ok());
        for bad in ["relative", "/tmp/a dir", "/tmp/x;y", "/tmp/$x", "/tmp/{x}"] {
            assert!(runtime_dir_arg(bad).is_err(), "{bad}");
        }
        let one: Upstream = "identity=127.0.0.1:1".parse().unwrap();
        let mut args = GatewayArgs {
            upstreams: crate::contexts::names()
                .iter()
                .map(|c| format!("{c}=127.0.0.1:2").parse().unwrap())
                .collect(),
            listen: "8080".into(),
            max_fails: 1,
            fail_timeout: 10,
            read_timeout: 60,
            runtime_dir: None,
        };
        assert!(config(&args).is_ok());
        args.upstreams.push(one.clone());
        args.upstreams.push(one);
        assert_eq!(
            config(&args),
            Err(GatewayError::Duplicate("identity=127.0.0.1:1".into()))
        );
    }
}
