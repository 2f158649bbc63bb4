//! [`EgressError`]: what can go wrong around a deployment's egress proxy (SPEC 6.4): starting it,
//! reading a client's request head, reading the deployment's context from the store, and the
//! external services a fixture declares (SPEC 6.1). The texts are answered to the user's code
//! (`400`, `503`), logged, or stop a fixture load: they are part of amlite's behaviour.

/// An egress proxy failure.
#[derive(Debug, thiserror::Error)]
pub enum EgressError {
    /// The proxy's listener could not be bound.
    #[error("cannot start the deployment's egress proxy: {0}")]
    ProxyStart(#[source] std::io::Error),
    /// The request head is not UTF-8.
    #[error("The request head is not UTF-8.")]
    HeadNotUtf8,
    /// The request head is longer than the proxy reads (bytes).
    #[error("The request head exceeds {0} bytes.")]
    HeadTooLarge(usize),
    /// Reading from the client failed.
    #[error(transparent)]
    Read(std::io::Error),
    /// The client closed the connection in the middle of its head.
    #[error("The connection closed before the request head ended.")]
    ClosedEarly,
    /// The request line is not `METHOD TARGET VERSION`.
    #[error("Malformed request line '{0}'.")]
    MalformedRequestLine(String),
    /// A `CONNECT` whose target has no port.
    #[error("CONNECT needs host:port, got '{0}'.")]
    ConnectWithoutPort(String),
    /// A target without a host.
    #[error("No host in '{0}'.")]
    NoHost(String),
    /// A target with a port that is not a number.
    #[error("Bad port in '{0}'.")]
    BadPort(String),
    /// Neither `CONNECT` nor an absolute `http://` target.
    #[error(
        "This is an egress proxy: send 'CONNECT host:port' or an absolute http:// URL, got '{0}'."
    )]
    NotAProxyRequest(String),
    /// amlite is stopping (its state is gone).
    #[error("amlite is shutting down")]
    ShuttingDown,
    /// The deployment (or its workspace) was deleted.
    #[error("The deployment {0} no longer exists.")]
    DeploymentGone(String),
    /// The data folder could not be read or written.
    #[error(transparent)]
    Store(#[from] sqlx::Error),
    /// An external service's host is not a plain host name.
    #[error("externalServices: host '{0}' must be a plain host name such as 'api.contoso.com'")]
    ServiceHost(String),
    /// An external service's URL is not a local server's.
    #[error("externalServices: url '{url}' {why}; use http://127.0.0.1:PORT (a local server)")]
    ServiceUrl {
        /// The URL as declared.
        url: String,
        /// What is wrong with it.
        why: UrlProblem,
    },
    /// A fixture's `externalServices[index]` lacks the string `field`.
    #[error("externalServices[{index}] needs a '{field}' string")]
    ServiceField {
        /// Position in the list.
        index: usize,
        /// `host` or `url`.
        field: &'static str,
    },
    /// A fixture's `externalServices[index].publicNetworkAccess` is neither value.
    #[error(
        "externalServices[{index}].publicNetworkAccess '{value}' must be 'Enabled' or 'Disabled'"
    )]
    ServiceAccess {
        /// Position in the list.
        index: usize,
        /// The value given.
        value: String,
    },
    /// A stored external service whose `publicNetworkAccess` does not decode.
    #[error("external service {host}: bad publicNetworkAccess '{value}'")]
    StoredServiceAccess {
        /// The service's host.
        host: String,
        /// The stored value.
        value: String,
    },
}

/// What is wrong with an external service's URL.
#[derive(Debug, thiserror::Error)]
pub enum UrlProblem {
    /// Not a URL: the parser's reason.
    #[error("{0}")]
    Unparsable(String),
    /// Another scheme.
    #[error("is not http or https")]
    NotHttp,
    /// A host outside 127.0.0.0/8 (and not `localhost`).
    #[error("is not on 127.0.0.0/8")]
    NotLoopback,
    /// No port, and none known for the scheme.
    #[error("has no port")]
    NoPort,
}
