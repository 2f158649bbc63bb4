-- External services (SPEC 6.1): names such as `api.contoso.com` that users declare in fixtures so
-- egress from scoring code can be tested for real (SPEC 6.4). `url` is the local address that
-- really serves the name (loopback only); `public_network_access` is 'Enabled' (public) or
-- 'Disabled' (private-only: reachable only through a PrivateEndpoint outbound rule).
CREATE TABLE external_services (
    host TEXT PRIMARY KEY COLLATE NOCASE,
    resource_id TEXT NOT NULL,
    public_network_access TEXT NOT NULL,
    url TEXT NOT NULL
);
